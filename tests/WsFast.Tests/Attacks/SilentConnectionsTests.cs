using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WsFast.Protocol;
using WsFast.Tests.Server;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack: thousands of connections complete the handshake on <c>/echo</c> and then say nothing, read nothing
/// and answer no ping. An idle connection costs the server a few kilobytes; after
/// <see cref="WsFast.WsFastServerOptions.PingInterval"/> of silence each is pinged, after
/// <see cref="WsFast.WsFastServerOptions.PingTimeout"/> more it is closed with 1011 "ping timeout", and at
/// the close timeout it is dropped. The bystanders are served throughout.
/// </summary>
[Collection(AttackCollection.Name)]
public class SilentConnectionsTests
{
    private const int Connections = 2_000;
    private const int ConnectsAtOnce = 100; // well within the listen backlog (512)

    // About 5 KiB were measured, the client's socket included: the connection objects, an idle pipe and an empty
    // queue. No buffer: an idle connection waits for data with a zero-byte receive.
    private const long BytesPerConnection = 16 * 1024;
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Two_thousand_silent_connections_cost_little_each_and_are_closed_with_1011_ping_timeout_then_dropped()
    {
        // Each connection is two descriptors in this process, the client's and the server's: stay within half the limit.
        long descriptors = OpenFilesLimit();
        Assert.True(descriptors >= (4 * Connections) + 1024, $"This test needs {(4 * Connections) + 1024} open files; the limit is {descriptors}.");
        await using TestServer server = await AttackKit.StartAsync(options =>
        {
            options.PingInterval = PingInterval;
            options.PingTimeout = PingTimeout;
            options.CloseTimeout = CloseTimeout;
        });
        Assert.True(server.Server.Options.MaxConnections >= Connections + 2, "MaxConnections would refuse the attack before the heartbeat does its work.");
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        MemoryProbe memory = MemoryProbe.Start();
        long pingTimeoutsBefore = server.Server.Counters.ClosedWith((int)CloseCode.InternalServerError);

        var sockets = new List<Socket>(Connections);
        var clock = Stopwatch.StartNew();
        try
        {
            byte[] request = Encoding.ASCII.GetBytes(RawClient.UpgradeRequest("/echo"));
            for (int start = 0; start < Connections; start += ConnectsAtOnce)
            {
                sockets.AddRange(await Task.WhenAll(Enumerable.Range(0, ConnectsAtOnce).Select(_ => ConnectAndRequestAsync(server.Port, request))));
            }

            await AttackKit.WaitUntilAsync(() => server.Server.Endpoints["/echo"].ConnectionCount == Connections + 1,
                TimeSpan.FromSeconds(5), $"{Connections} silent connections to be open");
            TimeSpan opened = clock.Elapsed;

            // Measured while every one is open: none can be closed before the ping interval and timeout have passed.
            long growth = memory.Growth();
            Assert.True(server.Server.ConnectionCount == Connections + 2, $"Connections were dropped {clock.Elapsed} after the first opened.");
            Assert.True(growth < Connections * BytesPerConnection,
                $"The heap grew by {growth:N0} bytes for {Connections} idle connections, {growth / Connections:N0} each (bound {BytesPerConnection:N0}).");

            // Pinged after the interval, closed after the ping timeout, dropped after the close timeout: all of them
            // by then, counting from the last one opened, within the timer's slack.
            TimeSpan deadline = PingInterval + PingTimeout + CloseTimeout + AttackKit.Slack;
            await AttackKit.WaitUntilAsync(
                () => server.Server.ConnectionCount == 2 && server.Server.Counters.ClosedWith((int)CloseCode.InternalServerError) - pingTimeoutsBefore == Connections,
                deadline - (clock.Elapsed - opened),
                $"every silent connection to be closed with 1011 and dropped within {deadline} of the last one opened");

            // What each one was sent, read only now: the 101, one ping, the close, and the end of the stream.
            string[] outcomes = await Task.WhenAll(sockets.Select(ReadOutcomeAsync));
            Assert.All(outcomes, outcome => Assert.Equal("HTTP/1.1 101, Ping, Close 1011 ping timeout, FIN", outcome));
        }
        finally
        {
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }
        }

        await bystanders.AssertServedThroughoutAsync();
    }

    private static async Task<Socket> ConnectAndRequestAsync(int port, byte[] request)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
        await socket.SendAsync(request, SocketFlags.None, timeout.Token);
        return socket;
    }

    /// <summary>Everything the server sent, read to the end, as "101, Ping, Close 1011 ping timeout, FIN".</summary>
    private static async Task<string> ReadOutcomeAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var received = new MemoryStream();
        byte[] buffer = new byte[1024];
        string end = "FIN";
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            end = "RST";
        }

        byte[] bytes = received.ToArray();
        int head = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (head < 0)
        {
            return $"no response head, {end}";
        }

        var parts = new List<string> { Encoding.ASCII.GetString(bytes, 0, 12) };
        int at = head + 4;
        while (at + 2 <= bytes.Length)
        {
            var opcode = (Opcode)(bytes[at] & 0x0F);
            int length = bytes[at + 1] & 0x7F;
            if (length > 125 || at + 2 + length > bytes.Length)
            {
                parts.Add("a cut or long frame");
                break;
            }

            ReadOnlySpan<byte> payload = bytes.AsSpan(at + 2, length);
            parts.Add(opcode == Opcode.Close && length >= 2
                ? $"Close {BinaryPrimitives.ReadUInt16BigEndian(payload)} {Encoding.UTF8.GetString(payload[2..])}"
                : opcode.ToString());
            at += 2 + length;
        }

        parts.Add(end);
        return string.Join(", ", parts);
    }

    private static long OpenFilesLimit()
    {
        foreach (string line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                string soft = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
                return soft == "unlimited" ? long.MaxValue : long.Parse(soft, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return long.MaxValue;
    }
}
