/** Ready-made operations, one tab each, in the order a newcomer tries them. */
export const EXAMPLE_TABS: Array<{ query: string; variables?: string }> = [
  {
    query: `# Rooms: create one (secured servers: an admin token in Headers), then list them.
mutation CreateRoom {
  createRoom(input: { id: "demo", name: "Demo room" }) {
    id
    name
    open
    videoCodec
    simulcast
  }
}

query Rooms {
  rooms(first: 10) {
    totalCount
    nodes {
      id
      name
      open
      participants {
        id
        name
      }
    }
  }
}
`,
  },
  {
    query: `# The room's events as they happen (graphql-ws). Run CreateRoom first, then join
# "demo" from the page (/?room=demo) in another tab: every event stays listed here.
subscription RoomEvents {
  roomEvents(roomId: "demo") {
    sequence
    type
    at
    participantId
    participantName
    streamId
    trackId
    reason
  }
}
`,
  },
  {
    query: `# The join flow the page runs: join with an SDP offer (made by a browser's
# RTCPeerConnection after ICE gathering), answer server offers, leave.
mutation Join($offer: String!) {
  join(input: { roomId: "demo", name: "Explorer", offer: $offer }) {
    answer
    token
    participant {
      id
      name
      grants {
        canPublish
        canSubscribe
        roomAdmin
      }
    }
  }
}

subscription Negotiation($participantId: ID!) {
  negotiation(participantId: $participantId) {
    revision
    sdp
  }
}

mutation Leave($participantId: ID!) {
  leave(participantId: $participantId)
}
`,
    variables: '{\n  "offer": "v=0 ... (an SDP offer)",\n  "participantId": "(from join)"\n}',
  },
  {
    query: `# Moderation (roomAdmin grant; everyone has it on an open server).
query WhoIsThere {
  room(id: "demo") {
    participants {
      id
      name
      streams {
        id
        tracks {
          id
          kind
          muted
        }
      }
    }
  }
}

mutation MuteTrack($trackId: ID!) {
  muteTrack(trackId: $trackId, roomId: "demo")
}

mutation Remove($participantId: ID!) {
  kickParticipant(participantId: $participantId, ban: false)
}

mutation EndMeeting {
  closeRoom(id: "demo") {
    id
    open
  }
}
`,
    variables: '{\n  "trackId": "(a track id from WhoIsThere)",\n  "participantId": "(a participant id)"\n}',
  },
];
