using WsFast.Server;

namespace WsFast;

/// <summary>Settings of topics and of their HTTP routes: publishing, Server-Sent Events and polling.</summary>
public sealed class BroadcastOptions
{
    /// <summary>Messages each topic keeps for clients catching up by cursor. Default 100; 0 keeps none.</summary>
    public int HistorySize { get; set; } = 100;

    /// <summary>Bytes each topic's history may hold (frames, and their event-stream form once built). Default 1 MiB.</summary>
    public long HistoryBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Bytes every topic's history may hold together; past it, a publish lets its topic's oldest messages go
    /// first. Default 64 MiB.
    /// </summary>
    public long MaxHistoryBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// How long a message stays in its topic's history. A topic with no subscriber and nothing left in its
    /// history is gone. Default 5 minutes; zero keeps history until it is pushed out.
    /// </summary>
    public TimeSpan TopicTimeToLive { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Most topics holding history at once; a publish that would start another one's history is refused (503
    /// from <c>POST /publish</c>). Topics that only have subscribers do not count: each is bounded by the
    /// connection holding it. Default 10,000.
    /// </summary>
    public int MaxTopics { get; set; } = 10_000;

    /// <summary>
    /// The bearer token <c>POST /publish/{topic}</c> requires (<c>Authorization: Bearer ...</c>; 401 without it,
    /// 403 with another). Null: publishing needs no token.
    /// </summary>
    public string? PublishToken { get; set; }

    /// <summary>Largest publish body, and largest message a WebSocket client may relay; larger gets 413 (1009). Default 1 MiB.</summary>
    public int MaxPublishBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Messages per second one WebSocket client may relay to its topic (<see cref="WsFastServer.MapBroadcast"/>
    /// with relaying on), with bursts of as many; faster closes it with 1008. Default 20.
    /// </summary>
    public int RelayRate { get; set; } = 20;

    /// <summary>
    /// Most topics one WebSocket connection may join from server code (<see cref="WebSocketConnection.Subscribe(string)"/>),
    /// beside its path's topic and those its authorizer joined it to; one more throws
    /// <see cref="InvalidOperationException"/>. Each costs a slot in the topic and a few dozen bytes. Default 64.
    /// </summary>
    public int MaxTopicsPerConnection { get; set; } = 64;

    /// <summary>How long a long poll waits for a message before answering with none. Default 25 s.</summary>
    public TimeSpan LongPollTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>The path prefix of the publish API. Default <c>/publish</c>.</summary>
    public string PublishPath { get; set; } = "/publish";

    /// <summary>The path prefix of Server-Sent Events streams. Default <c>/sse</c>.</summary>
    public string EventStreamPath { get; set; } = "/sse";

    /// <summary>The path prefix of polling. Default <c>/poll</c>.</summary>
    public string PollPath { get; set; } = "/poll";

    /// <summary>
    /// The path prefix of <c>GET /topics/{topic}</c>: a topic's subscribers over every server, its epoch and last
    /// sequence number, served where <c>/metrics</c> is and under its rule. Default <c>/topics</c>.
    /// </summary>
    public string TopicInfoPath { get; set; } = "/topics";

    internal void Check(OptionsCheck check)
    {
        check.AtLeast(HistorySize, 0, nameof(HistorySize));
        check.AtLeast(HistoryBytes, 0, nameof(HistoryBytes));
        check.AtLeast(MaxHistoryBytes, 0, nameof(MaxHistoryBytes));
        check.AtLeast(MaxTopics, 1, nameof(MaxTopics));
        check.AtLeast(MaxTopicsPerConnection, 0, nameof(MaxTopicsPerConnection));
        check.AtLeast(MaxPublishBytes, 1, nameof(MaxPublishBytes));
        check.AtLeast(RelayRate, 1, nameof(RelayRate));
        check.NotNegative(LongPollTimeout, nameof(LongPollTimeout));
        check.NotNegative(TopicTimeToLive, nameof(TopicTimeToLive));
    }
}
