using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace WsFast.Load.Tests;

/// <summary>
/// A server run as a child process on a free port (one of load/peers': Bun, Node.js ws; or WsFast's executable): started, read until it
/// names its port, stopped with SIGTERM by its PID (killed if it does not stop in time). Its output is read by
/// events, never by awaiting a read of its stream, and every wait is bounded.
/// </summary>
internal sealed partial class PeerProcess : IAsyncDisposable
{
    public const string InstallHint = "run `bash load/peers/install.sh` (tests/run.sh, the project's test command, does it)";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _tlsPort = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PeerProcess(Process process) => _process = process;

    /// <summary>The server's name: "bun", "node-ws", "wsfast" or "wsfast-runtime".</summary>
    public required string Name { get; init; }

    /// <summary>The port it listens on (127.0.0.1).</summary>
    public int Port { get; private set; }

    /// <summary>The port of its TLS listener (127.0.0.1), when it was started with one; else 0.</summary>
    public int TlsPort { get; private set; }

    /// <summary>Its process id.</summary>
    public int Pid => _process.Id;

    /// <summary>What it printed so far, stdout and stderr interleaved.</summary>
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
    /// src/WsFast.Server's build in this test build's configuration (the folder above the target framework's in
    /// this assembly's path: Release or Debug). The project reference builds it first.
    /// </summary>
    public static string WsFastServerPath()
    {
        var tests = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = tests.Name;
        string configuration = tests.Parent!.Name;
        string root = Path.GetDirectoryName(Path.GetDirectoryName(PeersDirectory()))!;
        return Path.Combine(root, "src", "WsFast.Server", "bin", configuration, framework, "WsFast.Server.dll");
    }

    /// <summary>load/peers, found from the test binaries by walking up to the folder holding WsFast.sln.</summary>
    public static string PeersDirectory()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "WsFast.sln")))
            {
                return Path.Combine(directory.FullName, "load", "peers");
            }
        }

        throw new InvalidOperationException($"No WsFast.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>
    /// Starts server <paramref name="name"/> on a free port (--port 0) without pings, and waits until it says where
    /// it listens: a peer of load/peers ("bun", "node-ws"), which fails the test with the install command when the
    /// peers are not installed, or WsFast's own executable of this build ("wsfast", its default socket engine;
    /// "wsfast-runtime", the runtime's sockets). With <paramref name="tls"/>, a peer also listens over TLS on
    /// another free port (--tls-port 0) with that certificate, and the wait is for both. <paramref name="extraArguments"/>
    /// go last, after (and over) those.
    /// </summary>
    public static async Task<PeerProcess> StartAsync(string name, TestCertificates? tls = null, IReadOnlyList<string>? extraArguments = null)
    {
        string peers = PeersDirectory();
        string program;
        List<string> arguments;
        if (name.StartsWith("wsfast", StringComparison.Ordinal))
        {
            string server = WsFastServerPath();
            Assert.True(File.Exists(server), $"{server} is missing: build WsFast.sln in this configuration.");
            program = "dotnet";
            // The client limits off, as load/server-control.sh has them for every measurement: the tool's clients
            // come from one address and send as fast as they can, and the peers have no such limits.
            arguments =
            [
                server, "--host", "127.0.0.1", "--port", "0", "--ping-interval", "0", "--log-level", "Information",
                "--max-connections-per-address", "0", "--handshakes-per-second", "0", "--messages-per-second", "0", "--bytes-per-second", "0",
            ];
            switch (name)
            {
                case "wsfast":
                    break;
                case "wsfast-runtime":
                    arguments.AddRange(["--socket-engine", "runtime"]);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(name), name, "wsfast or wsfast-runtime");
            }
        }
        else
        {
            Assert.True(File.Exists(Path.Combine(peers, "node_modules", "ws", "package.json")),
                $"The peers' packages are not installed in {peers}: {InstallHint}.");
            (program, string script) = name switch
            {
                "bun" => (Path.Combine(peers, "node_modules", ".bin", "bun"), "bun/server.ts"),
                "node-ws" => ("node", "node-ws/server.mjs"),
                _ => throw new ArgumentOutOfRangeException(nameof(name), name, "bun or node-ws"),
            };
            if (name == "bun")
            {
                Assert.True(File.Exists(program), $"{program} is missing: {InstallHint}.");
            }

            arguments = [script, "--port", "0", "--ping-interval", "0"];
            if (tls is not null)
            {
                arguments.AddRange(["--tls-port", "0", "--tls-cert", tls.CertificateFile, "--tls-key", tls.KeyFile]);
            }
        }

        if (extraArguments is not null)
        {
            arguments.AddRange(extraArguments);
        }

        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = peers,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var peer = new PeerProcess(process) { Name = name };
        process.OutputDataReceived += (_, e) => peer.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => peer.OnLine(e.Data);
        process.Exited += (_, _) =>
        {
            peer._port.TrySetException(new InvalidOperationException($"{name} exited before it listened."));
            peer._tlsPort.TrySetException(new InvalidOperationException($"{name} exited before it listened over TLS."));
        };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            Assert.Fail($"{program} could not be started ({e.Message}): {InstallHint}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            peer.Port = await peer._port.Task.WaitAsync(StartTimeout);
            if (tls is not null && !name.StartsWith("wsfast", StringComparison.Ordinal))
            {
                peer.TlsPort = await peer._tlsPort.Task.WaitAsync(StartTimeout);
            }
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            string output = peer.Output;
            await peer.DisposeAsync();
            Assert.Fail($"{name} did not say where it listens within {StartTimeout.TotalSeconds} s ({e.Message}); its output:\n{output}");
        }

        return peer;
    }

    /// <summary>Sends SIGTERM to the peer's PID and waits for it to exit; its exit code, or null when it had to be killed.</summary>
    public async Task<int?> StopAsync()
    {
        if (_process.HasExited)
        {
            return _process.ExitCode;
        }

        _ = Kill(_process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var timeout = new CancellationTokenSource(StopTimeout);
                await _process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or Win32Exception)
        {
            // Never started, or already gone.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    // The peers print "listening on http://127.0.0.1:PORT"; WsFast logs "WsFast listening on 127.0.0.1:PORT".
    [GeneratedRegex(@"listening on (?:http://)?[^\s:]+:(\d+)")]
    private static partial Regex ListeningLine();

    // A peer's TLS listener: "listening on https://127.0.0.1:PORT (wss://)".
    [GeneratedRegex(@"listening on https://[^\s:]+:(\d+)")]
    private static partial Regex TlsListeningLine();

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (TlsListeningLine().Match(line) is { Success: true } tls)
        {
            _tlsPort.TrySetResult(int.Parse(tls.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        else if (ListeningLine().Match(line) is { Success: true } match)
        {
            _port.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
