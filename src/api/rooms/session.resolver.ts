import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { ApiContext } from '../context';
import { QualitySampleType } from '../participants/participantStats.type';
import { SessionType } from './session.type';

@Resolver(() => SessionType)
export class SessionResolver {
  @FieldResolver(() => [QualitySampleType], {
    description: 'Call quality samples of this stay, oldest first (the latest `last`).',
  })
  qualityHistory(
    @Ctx() { qualityLoader }: ApiContext,
    @Root() session: SessionType,
    @Arg('last', () => Int, { defaultValue: 360, description: 'How many of the latest samples, 1 to 10000.' })
    last: number,
  ): Promise<QualitySampleType[]> {
    // Batched: a page of sessions costs one query, not one per session.
    return qualityLoader.load({ participantId: session.id, last });
  }
}
