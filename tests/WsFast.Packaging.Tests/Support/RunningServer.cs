using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;

namespace WsFast.Packaging.Tests.Support;

/// <summary>
/// A WebSocket server started as its own process (the tool, the single-file executable, a sample app) on a free
/// loopback port; stopped by its own PID, with SIGTERM as systemd or a container runtime would, and killed if it
/// has not ended 10 seconds later.
/// </summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private const int Sigterm = 15;

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private RunningServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The server's process id.</summary>
    public int Id => _process.Id;

    /// <summary>What the server has printed so far (standard output and error).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="program"/> and waits until a WebSocket client can connect to
    /// <paramref name="probePath"/> on <paramref name="port"/> (every server here is told its port by the caller).
    /// </summary>
    public static async Task<RunningServer> StartAsync(
        string program, IEnumerable<string> arguments, string workingDirectory, int port, string probePath,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = new Process { StartInfo = Command.StartInfo(program, arguments, workingDirectory, environment) };
        var server = new RunningServer(process, port);
        process.OutputDataReceived += (_, line) => server.Append(line.Data);
        process.ErrorDataReceived += (_, line) => server.Append(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitUntilListeningAsync(probePath);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A loopback port that nothing listened on a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Sends a text message on <paramref name="path"/> and asserts that the same text comes back.</summary>
    public async Task AssertEchoesAsync(string path, string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{Port}{path}"), timeout.Token);
        await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var buffer = new byte[4096];
        int received = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await client.ReceiveAsync(buffer.AsMemory(received), timeout.Token);
            received += result.Count;
        }
        while (!result.EndOfMessage && received < buffer.Length);

        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        Assert.Equal(text, Encoding.UTF8.GetString(buffer, 0, received));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
    }

    /// <summary>GETs <paramref name="path"/> and returns the status and body.</summary>
    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{Port}{path}"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Sends SIGTERM to the server's PID and returns its exit code once it has ended.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            Assert.Equal(0, Kill(_process.Id, Sigterm));
            using var deadline = new CancellationTokenSource(StopTimeout);
            try
            {
                await _process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"The server did not end within {StopTimeout.TotalSeconds} s of SIGTERM:\n{Output}");
            }
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task WaitUntilListeningAsync(string probePath)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                Assert.Fail($"The server ended (exit code {_process.ExitCode}) before it listened:\n{Output}");
            }

            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                using var client = new ClientWebSocket();
                await client.ConnectAsync(new Uri($"ws://127.0.0.1:{Port}{probePath}"), attempt.Token);
                await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "probe", attempt.Token);
                return;
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                if (deadline.Elapsed > StartTimeout)
                {
                    Assert.Fail($"The server did not accept a WebSocket on {probePath} within {StartTimeout.TotalSeconds} s ({e.Message}):\n{Output}");
                }

                await Task.Delay(100);
            }
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
