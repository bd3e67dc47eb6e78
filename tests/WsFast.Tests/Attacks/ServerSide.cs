using System.Diagnostics;
using System.Net;
using WsFast.Server;
using WsFast.Tests.Server;

namespace WsFast.Tests.Attacks;

/// <summary>The server's side of an attacker's connection: found by the attacker's address, and watched.</summary>
internal static class ServerSide
{
    /// <summary>The open connection of <paramref name="path"/> whose peer is <paramref name="attacker"/>; waits up to 5 s for it.</summary>
    public static async Task<WebSocketConnection> OfAsync(TestServer server, string path, Attacker attacker)
    {
        var local = (IPEndPoint)attacker.Socket.LocalEndPoint!;
        WebSocketConnection? found = null;
        await AttackKit.WaitUntilAsync(
            () => (found = server.Server.Endpoints[path].Connections.FirstOrDefault(c => local.Equals(c.RemoteEndPoint))) is not null,
            TimeSpan.FromSeconds(5), $"the server's side of {local} on {path}");
        return found!;
    }

    /// <summary>
    /// Whether <paramref name="connection"/>'s output has stalled: bytes stay queued, unchanged, for
    /// <paramref name="still"/>. False when the queue empties (the kernel took everything) or keeps moving for 5 s.
    /// </summary>
    public static async Task<bool> HasStalledAsync(WebSocketConnection connection, TimeSpan still)
    {
        var total = Stopwatch.StartNew();
        var unchanged = Stopwatch.StartNew();
        long last = -1;
        while (total.Elapsed < TimeSpan.FromSeconds(5))
        {
            long queued = connection.QueuedBytes;
            if (queued == 0)
            {
                return false;
            }

            if (queued != last)
            {
                last = queued;
                unchanged.Restart();
            }
            else if (unchanged.Elapsed >= still)
            {
                return true;
            }

            await Task.Delay(10);
        }

        return false;
    }

    /// <summary>
    /// Waits until <paramref name="connection"/>'s output stalls under a flood: bytes stay queued, unchanged, for
    /// <paramref name="still"/>. False if that has not happened within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<bool> WaitForStallAsync(WebSocketConnection connection, TimeSpan still, TimeSpan timeout)
    {
        var total = Stopwatch.StartNew();
        var unchanged = Stopwatch.StartNew();
        long last = -1;
        while (total.Elapsed < timeout)
        {
            long queued = connection.QueuedBytes;
            if (queued == 0 || queued != last)
            {
                last = queued;
                unchanged.Restart();
            }
            else if (unchanged.Elapsed >= still)
            {
                return true;
            }

            await Task.Delay(10);
        }

        return false;
    }
}
