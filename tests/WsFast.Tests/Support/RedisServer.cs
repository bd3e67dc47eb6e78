using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace WsFast.Tests.Support;

/// <summary>
/// A test's own <c>redis-server</c> (Debian's, which tests/interop/install.sh installs) on a free port of
/// 127.0.0.1, stopped by its own PID. It keeps nothing on disk: killed or restarted, it comes back empty, as a
/// Redis that lost its memory does (what the tests of a broker's epoch change need).
/// </summary>
internal sealed class RedisServer : IDisposable
{
    // Every server not yet stopped, stopped when the test host exits: a test that fails before its Dispose
    // leaves no redis-server and no directory behind.
    private static readonly ConcurrentDictionary<RedisServer, bool> Running = new();

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly string _directory;
    private readonly string[] _arguments;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;
    private bool _stopped;

    static RedisServer()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (RedisServer server in Running.Keys)
            {
                server.Stop();
            }
        };
    }

    private RedisServer(int port, string directory, string[] arguments)
    {
        Port = port;
        _directory = directory;
        _arguments = arguments;
    }

    /// <summary>The port it listens on, on 127.0.0.1; the same after a <see cref="Restart"/>.</summary>
    public int Port { get; }

    /// <summary>Its address as a StackExchange.Redis configuration string: <c>127.0.0.1:PORT</c>.</summary>
    public string Configuration => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The process id of the redis-server running now.</summary>
    public int Id => _process?.Id ?? throw new InvalidOperationException("redis-server is not running.");

    /// <summary>Its temporary working directory (<c>--dir</c>), deleted when it stops.</summary>
    public string WorkingDirectory => _directory;

    /// <summary>Starts a redis-server on a free port of 127.0.0.1 and waits until it answers PING.</summary>
    public static RedisServer Start() => Start([]);

    /// <summary>Starts a redis-server with <paramref name="arguments"/> besides the usual ones (kept for <see cref="Restart"/>).</summary>
    public static RedisServer Start(params string[] arguments)
    {
        string directory = Directory.CreateTempSubdirectory("wsfast-redis-").FullName;
        // The free port is found by binding port 0 and letting it go: another process may take it before
        // redis-server binds it, which ends that redis-server at once, so a few ports are tried.
        for (int attempt = 1; ; attempt++)
        {
            var server = new RedisServer(Executable.HostedExecutable.FreePort(), directory, arguments);
            Running[server] = true;
            try
            {
                server.Run();
                return server;
            }
            catch (RedisServerEndedException) when (attempt < 3)
            {
                Running.TryRemove(server, out _);
            }
            catch
            {
                server.Stop();
                throw;
            }
        }
    }

    /// <summary>Ends it with SIGKILL, as a crash would, and waits until the process is gone.</summary>
    public void Kill()
    {
        Process? process = Interlocked.Exchange(ref _process, null);
        if (process is null)
        {
            return;
        }

        try
        {
            process.Kill(); // SIGKILL, to this PID only: redis-server runs in the foreground, with no children
        }
        catch (InvalidOperationException)
        {
            // It had already ended.
        }

        process.WaitForExit();
        process.Dispose();
    }

    /// <summary>Kills it if it runs, then starts it again on the same port, with an empty database.</summary>
    public void Restart()
    {
        ObjectDisposedException.ThrowIf(_stopped, this);
        Kill();
        Run();
    }

    /// <summary>Kills it for good and deletes its temporary directory.</summary>
    public void Stop()
    {
        _stopped = true;
        Running.TryRemove(this, out _);
        Kill();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    public void Dispose() => Stop();

    /// <summary>Runs one command on it; the reply as <see cref="Resp.Command"/> reads it (<c>:0</c> for DBSIZE).</summary>
    public string? Command(params string[] arguments) => Resp.Command(Configuration, arguments);

    /// <summary>Whether it answers PING.</summary>
    public bool Pings() => Resp.Pings(Configuration);

    /// <summary>Deletes every key.</summary>
    public void FlushAll() => Assert.Equal("+OK", Command("FLUSHALL"));

    private void Run()
    {
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Loopback only, no snapshot (an empty --save) and no append-only file: nothing survives the process.
        foreach (string argument in (string[])[
            "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes", "--dir", _directory, .. _arguments])
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        // Its log is kept for the message of a failed start, and read to the end so that a full pipe never blocks it.
        process.OutputDataReceived += (_, line) => Keep(line.Data);
        process.ErrorDataReceived += (_, line) => Keep(line.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException("redis-server is not installed: tests/interop/install.sh installs it.", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var waiting = Stopwatch.StartNew();
        while (!Pings())
        {
            if (process.HasExited)
            {
                Kill();
                throw new RedisServerEndedException($"redis-server on port {Port} ended at start:\n{string.Join('\n', _output)}");
            }

            if (waiting.Elapsed > StartTimeout)
            {
                Kill();
                throw new TimeoutException($"redis-server on port {Port} did not answer PING in {StartTimeout}:\n{string.Join('\n', _output)}");
            }

            Thread.Sleep(10);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 50 && _output.TryDequeue(out _))
        {
        }
    }

    private sealed class RedisServerEndedException(string message) : Exception(message);
}
