using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using WsFast.Transport;

namespace WsFast.Tests.Transport;

/// <summary>
/// A listener on loopback for tests: either echoes every connection (<see cref="StartEcho"/>) or hands the
/// connections to the test (<see cref="StartManual"/>, then <see cref="AcceptAsync"/>).
/// </summary>
internal sealed class TransportTestServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly Channel<SocketConnection> _accepted = Channel.CreateUnbounded<SocketConnection>();
    private readonly List<Task> _handlers = [];

    private TransportTestServer(IPAddress address, bool echo, SocketTransportOptions? options)
    {
        Buffers = new SharedBufferPool();
        Listener = new SocketListener(
            [new IPEndPoint(address, 0)],
            connection =>
            {
                if (echo)
                {
                    lock (_handlers)
                    {
                        _handlers.Add(EchoAsync(connection));
                    }
                }
                else
                {
                    _accepted.Writer.TryWrite(connection);
                }
            },
            WithEngine(options));
        Listener.Start();
    }

    public SocketListener Listener { get; }

    // The transport tests run with the engine the whole suite runs with (see TestServer.Engine).
    private static SocketTransportOptions WithEngine(SocketTransportOptions? options)
    {
        options ??= new SocketTransportOptions();
        options.UseEpoll = WsFast.Tests.Server.TestServer.Engine == WsFast.SocketEngine.Epoll;
        return options;
    }

    public SharedBufferPool Buffers { get; }

    public IPEndPoint EndPoint => Listener.EndPoints[0];

    public static TransportTestServer StartEcho(IPAddress? address = null, SocketTransportOptions? options = null)
        => new(address ?? IPAddress.Loopback, echo: true, options);

    public static TransportTestServer StartManual(IPAddress? address = null, SocketTransportOptions? options = null)
        => new(address ?? IPAddress.Loopback, echo: false, options);

    public async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(EndPoint).WaitAsync(Timeout);
        return socket;
    }

    public async Task<SocketConnection> AcceptAsync()
        => await _accepted.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

    /// <summary>Waits until every connection, block and shared buffer has gone back to its pool.</summary>
    public async Task AssertAllReturnedAsync()
    {
        SocketConnectionPool pool = Listener.Pool;
        DateTime deadline = DateTime.UtcNow + Timeout;
        while (pool.InUse != 0 || pool.BlockPool.InUse != 0 || Buffers.InUse != 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not returned: {pool.InUse} connections, {pool.BlockPool.InUse} blocks, {Buffers.InUse} shared buffers.");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Listener.StopAccepting();
        await Listener.WhenAcceptingStopped().WaitAsync(Timeout);
        Task[] handlers;
        lock (_handlers)
        {
            handlers = [.. _handlers];
        }

        await Task.WhenAll(handlers).WaitAsync(Timeout);
    }

    /// <summary>Sends back every byte received, in buffers of at most 16 KiB, then closes after the peer does.</summary>
    private async Task EchoAsync(SocketConnection connection)
    {
        PipeReader input = connection.Input;
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync();
                ReadOnlySequence<byte> bytes = result.Buffer;
                while (!bytes.IsEmpty)
                {
                    int count = (int)Math.Min(bytes.Length, 16 * 1024);
                    SharedBuffer buffer = Buffers.Rent(count);
                    bytes.Slice(0, count).CopyTo(buffer.Span);
                    buffer.Length = count;
                    if (!connection.Enqueue(buffer))
                    {
                        break;
                    }

                    bytes = bytes.Slice(count);
                    await connection.WaitForDrainAsync(1024 * 1024);
                }

                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (SocketException)
        {
            // The peer reset the connection; nothing to answer.
        }

        await input.CompleteAsync();
        connection.CompleteOutput();
        await connection.Closed;
        connection.Dispose();
    }
}
