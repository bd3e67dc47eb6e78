using WsFast.Protocol;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Executable;

/// <summary>SIGINT and SIGTERM stop the host gracefully: 1001 going away to every client (RFC 6455 section 7.4.1), then exit code 0.</summary>
public class ShutdownTests
{
    [Theory]
    [InlineData(HostedExecutable.SIGINT)]
    [InlineData(HostedExecutable.SIGTERM)]
    public async Task A_signal_closes_every_client_with_1001_and_the_executable_exits_with_0(int signal)
    {
        await using HostedExecutable server = HostedExecutable.StartInterruptible(["--port", "0", "--log-level", "Warning"]);
        int port = await server.PortAsync();
        await using RawClient echo = await RawClient.OpenAsync(port, "/echo");
        await using RawClient ticker = await RawClient.OpenAsync(port, "/ticker");
        await echo.AssertEchoesAsync("before the signal");

        server.Signal(signal);

        foreach (RawClient client in (RawClient[])[echo, ticker])
        {
            ServerFrame frame;
            while ((frame = await client.ReadFrameAnsweringPingsAsync()).Opcode != Opcode.Close)
            {
                Assert.Equal(Opcode.Text, frame.Opcode); // a tick
            }

            Assert.Equal((ushort)1001, frame.CloseCode);
            await client.SendFramesAsync(ClientFrames.Close(1001));
        }

        Assert.Equal(0, await server.ExitCodeAsync());
    }
}
