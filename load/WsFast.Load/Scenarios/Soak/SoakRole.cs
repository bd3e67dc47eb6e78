namespace WsFast.Load.Scenarios.Soak;

/// <summary>What one soak client does while connected.</summary>
public enum SoakRole
{
    /// <summary>Sends a text message every interval on <c>/echo</c> and checks the echo.</summary>
    Echo,

    /// <summary>Subscribes to <c>/broadcast/{topic}</c> and checks the feed's order while connected.</summary>
    Broadcast,

    /// <summary>Reads <c>/sse/{topic}</c>, resuming with <c>Last-Event-ID</c> after each reconnect.</summary>
    EventStream,

    /// <summary>Long-polls <c>/poll/{topic}?after=N</c>, resuming from its cursor after each reconnect.</summary>
    Poll,

    /// <summary>A WebSocket subscriber that stops reading, then reads slowly, until the server's queue bound closes it.</summary>
    SlowConsumer,
}
