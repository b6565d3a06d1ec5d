import { Arg, Ctx, Field, ID, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { DomainError, ErrorCode } from '../../shared/errors';
import type { ApiContext } from '../context';
import { DateTimeISO } from '../dateTimeISO';

@ObjectType('WebhookFailure', {
  description:
    'A room event a webhook receiver did not take within WEBHOOK_MAX_AGE_MS: delivery went on without it.',
})
export class WebhookFailureType {
  @Field()
  url!: string;

  @Field(() => ID)
  roomId!: string;

  @Field(() => Int)
  sequence!: number;

  @Field({ description: 'The `webhook-id` it was sent with.' })
  webhookId!: string;

  @Field(() => Int)
  attempts!: number;

  @Field()
  lastError!: string;

  @Field(() => DateTimeISO)
  failedAt!: Date;
}

@Resolver()
export class WebhookResolver {
  @Query(() => [WebhookFailureType], {
    description: 'Webhook deliveries given up, newest first (admin token in secured mode).',
  })
  webhookFailures(
    @Ctx() { access, webhookFailures }: ApiContext,
    @Arg('first', () => Int, { defaultValue: 50, description: '1 to 100.' }) first: number,
  ): Promise<WebhookFailureType[]> {
    access.requireAdmin();
    if (!Number.isInteger(first) || first < 1 || first > 100) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, '`first` must be between 1 and 100.');
    }
    return webhookFailures(first);
  }
}
