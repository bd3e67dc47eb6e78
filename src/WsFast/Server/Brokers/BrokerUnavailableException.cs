namespace WsFast;

/// <summary>
/// The broker that shares topics between servers (<see cref="WsFastServerOptions.Broker"/>) could not be reached:
/// the message was not published. Publishing may be tried again; <c>POST /publish</c> answers 503 with
/// <c>Retry-After</c>.
/// </summary>
public sealed class BrokerUnavailableException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public BrokerUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and what the broker's client threw.</summary>
    public BrokerUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
