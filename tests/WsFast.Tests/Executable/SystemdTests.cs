using System.Globalization;
using System.Net.Sockets;
using System.Text;
using WsFast.Protocol;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Executable;

/// <summary>
/// Run by systemd (sd_notify(3), Type=notify): the executable tells the service manager READY=1 on
/// <c>NOTIFY_SOCKET</c> once it listens and STOPPING=1 when it begins to stop, and logs in the journal's format
/// (<c>&lt;6&gt;</c> priority prefixes). The service manager here is this test: a Unix datagram socket, and a
/// parent process named systemd (what the hosting library looks for), a shell under that name.
/// </summary>
public class SystemdTests
{
    [Fact]
    public async Task Run_by_systemd_it_notifies_READY_once_listening_and_STOPPING_on_SIGTERM_and_logs_for_the_journal()
    {
        string folder = Directory.CreateTempSubdirectory("wsfast-systemd-").FullName;
        try
        {
            string systemd = Path.Combine(folder, "systemd");
            File.CreateSymbolicLink(systemd, "/bin/sh");
            string notifyPath = Path.Combine(folder, "notify");
            using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            notify.Bind(new UnixDomainSocketEndPoint(notifyPath));

            int port = HostedExecutable.FreePort();
            await using HostedExecutable server = HostedExecutable.Start(
                ["--port", port.ToString(CultureInfo.InvariantCulture)], null, systemd, ("NOTIFY_SOCKET", notifyPath));

            Assert.Equal("READY=1", await ReceiveAsync(notify));

            // Listening already: no wait between READY=1 and the first client.
            await using RawClient client = await RawClient.OpenAsync(port, "/echo");
            await client.AssertEchoesAsync("ready");

            server.Signal(HostedExecutable.SIGTERM);
            Assert.Equal("STOPPING=1", await ReceiveAsync(notify));
            ServerFrame close = await client.ReadFrameAnsweringPingsAsync();
            Assert.Equal((ushort)1001, close.CloseCode);
            await client.SendFramesAsync(ClientFrames.Close(1001));

            // The executable's exit code is the launcher's.
            Assert.Equal(0, await server.ExitCodeAsync());
            Assert.Contains(server.Stdout, line => line == $"<6>WsFast.WsFastServer[1] WsFast listening on 127.0.0.1:{port}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        byte[] buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        int count = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, count).Trim();
    }
}
