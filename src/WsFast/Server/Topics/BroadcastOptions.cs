namespace WsFast.Server;

/// <summary>Settings of topics and of their HTTP routes: publishing, Server-Sent Events and polling.</summary>
public sealed class BroadcastOptions
{
    /// <summary>Messages each topic keeps for clients catching up by cursor. Default 100.</summary>
    public int HistorySize { get; set; } = 100;

    /// <summary>Most topics at once; a subscription or publish to a new topic beyond it gets 404. Default 10,000.</summary>
    public int MaxTopics { get; set; } = 10_000;

    /// <summary>
    /// Outbound messages a subscriber may have queued before the slow-consumer policy applies to it (the
    /// server's <see cref="WsFastServerOptions.MaxQueuedOutboundBytes"/> bounds its bytes). Default 1,024.
    /// </summary>
    public int MaxQueuedMessages { get; set; } = 1024;

    /// <summary>
    /// The bearer token <c>POST /publish/{topic}</c> requires (<c>Authorization: Bearer ...</c>; 401 without it,
    /// 403 with another). Null: publishing needs no token.
    /// </summary>
    public string? PublishToken { get; set; }

    /// <summary>Largest publish body; larger gets 413. Default 1 MiB.</summary>
    public int MaxPublishBytes { get; set; } = 1024 * 1024;

    /// <summary>How long a long poll waits for a message before answering with none. Default 25 s.</summary>
    public TimeSpan LongPollTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>The path prefix of the publish API. Default <c>/publish</c>.</summary>
    public string PublishPath { get; set; } = "/publish";

    /// <summary>The path prefix of Server-Sent Events streams. Default <c>/sse</c>.</summary>
    public string EventStreamPath { get; set; } = "/sse";

    /// <summary>The path prefix of polling. Default <c>/poll</c>.</summary>
    public string PollPath { get; set; } = "/poll";

    internal void Validate()
    {
        if (HistorySize < 0 || MaxTopics < 1 || MaxQueuedMessages < 1 || MaxPublishBytes < 1 || LongPollTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HistorySize), "Broadcast limits must be positive (history may be 0).");
        }
    }
}
