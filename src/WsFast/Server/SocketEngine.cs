namespace WsFast;

/// <summary>What drives the server's sockets.</summary>
public enum SocketEngine : byte
{
    /// <summary>
    /// The runtime's sockets (<see cref="System.Net.Sockets.SocketAsyncEventArgs"/>), on every platform. Waiting for
    /// data is a zero-byte receive, so each message costs a system call more than with <see cref="Epoll"/>.
    /// </summary>
    Runtime,

    /// <summary>
    /// WsFast's own epoll loops, one thread per processor the process may use: one receive per batch of bytes,
    /// the connections' work inline on the loop thread. Linux x86-64 only; elsewhere the server refuses to start.
    /// </summary>
    Epoll,
}
