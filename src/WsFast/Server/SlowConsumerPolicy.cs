namespace WsFast;

/// <summary>What a broadcast does to a connection whose outbound queue is at its bound.</summary>
public enum SlowConsumerPolicy : byte
{
    /// <summary>That connection skips the message; the drop is counted. Everyone else gets it.</summary>
    Drop,
    /// <summary>That connection is closed with 1008 and a reason. Everyone else gets the message.</summary>
    Disconnect,
}
