using WsFast.Transport;

namespace WsFast.Tests.Transport;

/// <summary>
/// The transport tests act as the owner of the connection they accepted: each call goes through a lease on the
/// connection's current client, as the server's own calls do.
/// </summary>
internal static class OwnerCalls
{
    public static bool Enqueue(this SocketConnection connection, SharedBuffer buffer) => connection.Lease().Enqueue(buffer);

    public static bool Enqueue(this SocketConnection connection, SharedBuffer buffer, int offset, int count) =>
        connection.Lease().Enqueue(buffer, offset, count);

    public static bool EnqueueLast(this SocketConnection connection, SharedBuffer buffer) => connection.Lease().EnqueueLast(buffer);

    public static void CompleteOutput(this SocketConnection connection) => connection.Lease().CompleteOutput();

    public static void Abort(this SocketConnection connection) => connection.Lease().Abort();

    public static void Dispose(this SocketConnection connection) => connection.Lease().Dispose();

    public static ValueTask WaitForDrainAsync(this SocketConnection connection, long threshold) =>
        connection.Lease().WaitForDrainAsync(threshold, int.MaxValue);
}
