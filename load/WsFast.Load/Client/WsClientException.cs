using WsFast.Load.Engine;

namespace WsFast.Load.Client;

/// <summary>A client failure, tagged with the <see cref="ErrorKind"/> it counts as.</summary>
public sealed class WsClientException : Exception
{
    /// <summary>Creates an exception of <paramref name="kind"/>.</summary>
    public WsClientException(ErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    /// <summary>What kind of error this is.</summary>
    public ErrorKind Kind { get; }
}
