using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using WsFast.Tests.Support;

namespace WsFast.Tests.Executable;

/// <summary>
/// The executable run as an operator runs it: its own folder of settings (<c>DOTNET_CONTENTROOT</c>), its
/// environment, its arguments; every output line kept, its exit code read, signals sent to its own PID. Ended
/// (its process tree, by PID) when disposed.
/// </summary>
internal sealed class HostedExecutable : IAsyncDisposable
{
    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly SemaphoreSlim _lines = new(0);

    private HostedExecutable(Process process) => _process = process;

    /// <summary>The PID to signal: the executable's own, also when a launcher stands in between.</summary>
    public int Id { get; private set; }

    public IEnumerable<string> Stdout => _stdout;

    public string Stderr => string.Join('\n', _stderr);

    /// <summary>
    /// Starts <c>dotnet WsFast.Server.dll</c> with <paramref name="arguments"/>, settings read from
    /// <paramref name="contentRoot"/>, and <paramref name="environment"/>. With <paramref name="launcher"/>, that
    /// program runs it as a child (<c>launcher -c 'dotnet ...; exit $?'</c>, a shell).
    /// </summary>
    public static HostedExecutable Start(string[] arguments, string? contentRoot = null, string? launcher = null, params (string Name, string Value)[] environment) =>
        Start(arguments, contentRoot, launcher, interruptible: false, environment);

    /// <summary>
    /// As <see cref="Start(string[], string?, string?, (string Name, string Value)[])"/>, with SIGINT at its default
    /// disposition as a terminal gives it. A program started in the background by a non-interactive shell (a CI
    /// job, <c>nohup ... &amp;</c>) inherits SIGINT ignored, and exec keeps it ignored (POSIX), so Ctrl-C's signal
    /// would not reach the executable's handler at all: a small exec wrapper restores the default first.
    /// </summary>
    public static HostedExecutable StartInterruptible(string[] arguments) => Start(arguments, null, null, interruptible: true, []);

    private static HostedExecutable Start(string[] arguments, string? contentRoot, string? launcher, bool interruptible, (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(interruptible ? "python3" : launcher ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (interruptible)
        {
            // Replaces itself with dotnet (same PID), SIGINT back at SIG_DFL.
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp('dotnet', ['dotnet'] + sys.argv[1:])");
        }
        else if (launcher is not null)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("dotnet \"$@\"; exit $?");
            start.ArgumentList.Add("launcher");
        }

        start.ArgumentList.Add(ServerProcess.ExecutablePath());
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // None of the test runner's own settings leak into the executable's configuration.
        foreach (string name in start.Environment.Keys.ToArray())
        {
            if (name.StartsWith("WSFAST_", StringComparison.Ordinal) || name.StartsWith("WsFast__", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("Server__", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)
                || name is "DOTNET_ENVIRONMENT" or "NOTIFY_SOCKET")
            {
                start.Environment.Remove(name);
            }
        }

        if (contentRoot is not null)
        {
            start.Environment["DOTNET_CONTENTROOT"] = contentRoot;
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var executable = new HostedExecutable(process);
        process.OutputDataReceived += (_, line) => executable.Add(executable._stdout, line.Data);
        process.ErrorDataReceived += (_, line) => executable.Add(executable._stderr, line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        executable.Id = launcher is null ? process.Id : ChildOf(process.Id);
        return executable;
    }

    /// <summary>A free loopback port, for a test that must know the port before the executable prints it.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A folder with <c>appsettings.json</c> (and other files) for <see cref="Start"/>'s content root.</summary>
    public static string SettingsFolder(params (string Name, string Json)[] files)
    {
        string folder = Directory.CreateTempSubdirectory("wsfast-settings-").FullName;
        foreach ((string name, string json) in files)
        {
            File.WriteAllText(Path.Combine(folder, name), json);
        }

        return folder;
    }

    /// <summary>The first stdout line that <paramref name="match"/> accepts, waiting for it.</summary>
    public async Task<string> LineAsync(Func<string, bool> match)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            bool ended = _process.HasExited;
            if (ended)
            {
                _process.WaitForExit(); // the output's last lines
            }

            if (_stdout.FirstOrDefault(match) is string found)
            {
                return found;
            }

            if (ended)
            {
                throw new InvalidOperationException($"The executable ended (exit code {_process.ExitCode}) without the line; stdout: {string.Join('\n', _stdout)}; stderr: {Stderr}");
            }

            await _lines.WaitAsync(TimeSpan.FromMilliseconds(100), timeout.Token);
        }
    }

    /// <summary>The port of the executable's first http:// address, from the line it prints once it listens.</summary>
    public async Task<int> PortAsync()
    {
        const string Prefix = "WsFast demo page:  http://127.0.0.1:";
        string line = await LineAsync(l => l.StartsWith(Prefix, StringComparison.Ordinal));
        return int.Parse(line.AsSpan(Prefix.Length).TrimEnd('/'), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Its exit code, once it has ended by itself.</summary>
    public async Task<int> ExitCodeAsync()
    {
        await _process.WaitForExitAsync().WaitAsync(Timeout);
        _process.WaitForExit(); // the output's last lines
        return _process.ExitCode;
    }

    public void Signal(int signal) => Assert.Equal(0, Kill(Id, signal));

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _lines.Dispose();
    }

    private void Add(ConcurrentQueue<string> lines, string? line)
    {
        if (line is not null)
        {
            lines.Enqueue(line);
        }

        _lines.Release();
    }

    // The launcher's one child: the executable.
    private static int ChildOf(int parent)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Timeout)
        {
            string children = File.ReadAllText($"/proc/{parent}/task/{parent}/children").Trim();
            if (children.Length > 0)
            {
                return int.Parse(children.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }

            Thread.Sleep(10);
        }

        throw new TimeoutException($"process {parent} started no child");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
