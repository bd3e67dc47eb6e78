using System.Net;
using System.Net.Sockets;
using WsFast.Load.Engine;

namespace WsFast.Load.Tests;

public class SocketEnginesTests
{
    [Fact]
    public async Task The_runtimes_socket_engine_threads_are_counted_once_a_socket_waits()
    {
        // A socket joins an engine at its first asynchronous operation; the engines start with the first one.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var cancel = new CancellationTokenSource();
        ValueTask<Socket> accept = listener.AcceptAsync(cancel.Token);

        int? running = SocketEngines.Running();
        Assert.NotNull(running);
        Assert.InRange(running.Value, 1, Math.Max(1, Environment.ProcessorCount));

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await accept);
    }
}
