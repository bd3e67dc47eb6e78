using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using WsFast.Load.Server;

namespace WsFast.Load.Cli;

/// <summary>
/// <c>attack KIND</c>: one hostile client against a running server, with the server's resident memory read from
/// <c>/proc</c> before, every 100 ms during, and after. Kinds: <c>pipelined-get</c> (HTTP requests pipelined on one
/// connection that never reads), <c>ping-flood</c> (empty pings on an upgraded connection that never reads), and
/// <c>relay</c> (a WebSocket client that sends messages on a broadcast topic while another subscriber watches
/// what reaches it).
/// </summary>
internal static class AttackCommand
{
    public static Command Create()
    {
        var kind = new Argument<string>("kind") { Description = "pipelined-get, ping-flood or relay." };
        var host = new Option<string>("--host") { Description = "Server address.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Server port.", DefaultValueFactory = _ => 8080 };
        var path = new Option<string>("--path") { Description = "pipelined-get: the request path; ping-flood: the WebSocket path; relay: the topic path.", DefaultValueFactory = _ => "" };
        var duration = new Option<double>("--duration") { Description = "Seconds to attack.", DefaultValueFactory = _ => 10 };
        var settle = new Option<double>("--settle") { Description = "Seconds to wait after the attack before the last memory reading.", DefaultValueFactory = _ => 5 };
        var pid = new Option<int?>("--server-pid") { Description = "The server's process id (default: the process listening on --port)." };
        var command = new Command("attack", "One hostile client against a running server, with the server's resident memory before, during and after.")
        {
            kind, host, port, path, duration, settle, pid,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var server = new IPEndPoint(IPAddress.Parse(parse.GetValue(host)!), parse.GetValue(port));
            int? serverPid = parse.GetValue(pid) ?? ProcFs.FindListener(server.Port);
            if (serverPid is null)
            {
                Console.Error.WriteLine($"wsfast-load: no process listens on port {server.Port}; give --server-pid.");
                return 2;
            }

            string name = parse.GetValue(kind)!;
            var attack = new Attack(server, parse.GetValue(path)!, TimeSpan.FromSeconds(parse.GetValue(duration)));
            Func<Task<string>>? run = name switch
            {
                "pipelined-get" => attack.PipelinedGetAsync,
                "ping-flood" => attack.PingFloodAsync,
                "relay" => attack.RelayAsync,
                _ => null,
            };
            if (run is null)
            {
                Console.Error.WriteLine($"wsfast-load: unknown attack '{name}'.");
                return 2;
            }

            long before = ProcFs.ReadRssBytes(serverPid.Value);
            using var sampling = new CancellationTokenSource();
            Task<long> peak = SamplePeakAsync(serverPid.Value, sampling.Token);
            var clock = Stopwatch.StartNew();
            string outcome = await run();
            TimeSpan took = clock.Elapsed;
            await Task.Delay(TimeSpan.FromSeconds(parse.GetValue(settle)), cancellation);
            sampling.Cancel();
            long highest = await peak;
            long after = ProcFs.ReadRssBytes(serverPid.Value);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {MiB(before)} | {MiB(highest)} (+{MiB(highest - before)}) | {MiB(after)} (+{MiB(after - before)}) | {took.TotalSeconds:F1} s | {outcome} |"));
            return 0;
        });
        return command;
    }

    private static string MiB(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):F1} MiB");

    private static async Task<long> SamplePeakAsync(int pid, CancellationToken stop)
    {
        long peak = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                peak = Math.Max(peak, ProcFs.ReadRssBytes(pid));
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
            }
            catch (IOException)
            {
                break; // the server is gone
            }
        }

        return peak;
    }

    /// <summary>The attacks: each returns what happened to the attacker, in a few words.</summary>
    private sealed class Attack(IPEndPoint server, string path, TimeSpan duration)
    {
        public async Task<string> PipelinedGetAsync()
        {
            using Socket socket = await ConnectAsync();
            string request = $"GET {(path.Length > 0 ? path : "/")} HTTP/1.1\r\nHost: a\r\n\r\n";
            byte[] burst = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(request, 64)));
            (long sent, string end) = await FloodAsync(socket, burst);
            return $"{sent:N0} bytes of requests sent; {end}";
        }

        public async Task<string> PingFloodAsync()
        {
            using Socket socket = await UpgradeAsync(path.Length > 0 ? path : "/echo");
            byte[] ping = [0x89, 0x80, 0, 0, 0, 0];
            byte[] burst = [.. Enumerable.Repeat(ping, 1024).SelectMany(p => p)];
            (long sent, string end) = await FloodAsync(socket, burst);
            return $"{sent / ping.Length:N0} pings sent; {end}";
        }

        public async Task<string> RelayAsync()
        {
            string topicPath = path.Length > 0 ? path : "/broadcast/news";
            using Socket watcher = await UpgradeAsync(topicPath, receiveBuffer: 64 * 1024);
            using Socket sender = await UpgradeAsync(topicPath, receiveBuffer: 64 * 1024);
            await Task.Delay(200);
            byte[] payload = "from an anonymous client"u8.ToArray();
            byte[] message = new byte[Client.ClientFrames.FrameSize(payload.Length)];
            Client.ClientFrames.Write(message, WsFast.Protocol.Opcode.Text, payload, BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4)));
            int sent = 0;
            var clock = Stopwatch.StartNew();
            try
            {
                while (clock.Elapsed < duration && sent < 1000)
                {
                    await sender.SendAsync(message, SocketFlags.None);
                    sent++;
                }
            }
            catch (SocketException)
            {
            }

            string senderEnd = await DescribeEndAsync(sender, TimeSpan.FromSeconds(2));
            int reached = await CountFramesAsync(watcher, TimeSpan.FromSeconds(1));
            return $"{sent} messages sent; the sender {senderEnd}; {reached} frames reached another subscriber";
        }

        private async Task<Socket> ConnectAsync(int receiveBuffer = 4096)
        {
            var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = receiveBuffer };
            await socket.ConnectAsync(server);
            return socket;
        }

        private async Task<Socket> UpgradeAsync(string target, int receiveBuffer = 4096)
        {
            Socket socket = await ConnectAsync(receiveBuffer);
            string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            await socket.SendAsync(Encoding.ASCII.GetBytes(
                $"GET {target} HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"), SocketFlags.None);
            var head = new List<byte>();
            byte[] one = new byte[1];
            while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
            {
                if (await socket.ReceiveAsync(one, SocketFlags.None) == 0)
                {
                    break;
                }

                head.Add(one[0]);
            }

            string status = Encoding.ASCII.GetString([.. head]).Split("\r\n")[0];
            if (!status.Contains(" 101 ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{target}: the upgrade got '{status}'.");
            }

            return socket;
        }

        // Sends the burst again and again until the duration is over or the server ends the connection.
        private async Task<(long Sent, string End)> FloodAsync(Socket socket, byte[] burst)
        {
            long sent = 0;
            var clock = Stopwatch.StartNew();
            using var stop = new CancellationTokenSource(duration);
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    sent += await socket.SendAsync(burst, SocketFlags.None, stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
                return (sent, "still open when the attack ended");
            }
            catch (SocketException e)
            {
                return (sent, string.Create(CultureInfo.InvariantCulture, $"the server ended the connection after {clock.Elapsed.TotalSeconds:F1} s ({e.SocketErrorCode})"));
            }

            return (sent, "still open when the attack ended");
        }

        // Reads what the server sends until it ends the connection; names the close code if a close frame came.
        private static async Task<string> DescribeEndAsync(Socket socket, TimeSpan timeout)
        {
            using var stop = new CancellationTokenSource(timeout);
            var received = new List<byte>();
            byte[] buffer = new byte[4096];
            try
            {
                while (true)
                {
                    int read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    received.AddRange(buffer.AsSpan(0, read));
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
            }

            for (int i = 0; i + 3 < received.Count;)
            {
                int opcode = received[i] & 0x0F;
                int length = received[i + 1] & 0x7F;
                if (opcode == 8 && length >= 2)
                {
                    int code = (received[i + 2] << 8) | received[i + 3];
                    string reason = Encoding.UTF8.GetString([.. received.Skip(i + 4).Take(length - 2)]);
                    return $"was closed with {code} \"{reason}\"";
                }

                i += 2 + length;
            }

            return "was not closed";
        }

        private static async Task<int> CountFramesAsync(Socket socket, TimeSpan timeout)
        {
            using var stop = new CancellationTokenSource(timeout);
            byte[] buffer = new byte[64 * 1024];
            int frames = 0;
            try
            {
                while (true)
                {
                    int read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    // Small unmasked frames: count headers by walking lengths.
                    for (int i = 0; i + 1 < read; frames++)
                    {
                        i += 2 + (buffer[i + 1] & 0x7F);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
            }

            return frames;
        }
    }
}
