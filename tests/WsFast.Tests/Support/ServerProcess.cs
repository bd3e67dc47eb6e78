using System.Diagnostics;
using System.Globalization;
using WsFast.Tests.Server;

namespace WsFast.Tests.Support;

/// <summary>The executable (<c>src/WsFast.Server</c>, built with this test) on a free port, stopped by its own PID.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>The port it listens on with TLS (<c>--tls-port</c>); 0 without.</summary>
    public int TlsPort { get; private set; }

    /// <summary>The process id, for signals.</summary>
    public int Id => _process.Id;

    /// <summary>An http:// address of a path on it.</summary>
    public Uri Http(string path) => new($"http://127.0.0.1:{Port}{path}");

    /// <summary>
    /// Starts the executable with <c>--port 0 --log-level Warning</c> and <paramref name="arguments"/>, and waits
    /// until it listens.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string[]? arguments = null, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ExecutablePath());
        foreach (string argument in (string[])["--port", "0", "--log-level", "Warning", .. arguments ?? []])
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        // The executable prints its addresses once it listens: "WsFast demo page:  http://127.0.0.1:PORT/". Its
        // output is read to the end by the process's own readers, so that a full pipe never blocks it.
        const string Prefix = "WsFast demo page:  http://127.0.0.1:";
        const string TlsPrefix = "WsFast demo page:  https://127.0.0.1:";
        bool tls = arguments?.Contains("--tls-port") == true;
        int plainPort = 0;
        int tlsPort = 0;
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, line) =>
        {
            // With --tls-port, the TLS listener's lines follow the plain one's: both ports are known at the second.
            if (line.Data?.StartsWith(Prefix, StringComparison.Ordinal) == true)
            {
                plainPort = int.Parse(line.Data.AsSpan(Prefix.Length).TrimEnd('/'), CultureInfo.InvariantCulture);
            }
            else if (line.Data?.StartsWith(TlsPrefix, StringComparison.Ordinal) == true)
            {
                tlsPort = int.Parse(line.Data.AsSpan(TlsPrefix.Length).TrimEnd('/'), CultureInfo.InvariantCulture);
            }

            if (plainPort != 0 && (!tls || tlsPort != 0))
            {
                listening.TrySetResult(plainPort);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("The executable ended before it listened."));
        process.EnableRaisingEvents = true;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            int port = await listening.Task.WaitAsync(TimeSpan.FromSeconds(20));
            return new ServerProcess(process, port) { TlsPort = tlsPort };
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>VmRSS of the server process.</summary>
    public long ResidentBytes()
    {
        foreach (string line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("No VmRSS.");
    }

    /// <summary>A new client still gets its echo.</summary>
    public async Task AssertStillServesAsync()
    {
        await using RawClient client = await RawClient.OpenAsync(Port, "/echo");
        await client.AssertEchoesAsync("still serving");
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

    // src/WsFast.Server's build output of the same configuration as this test's.
    internal static string ExecutablePath()
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "WsFast.sln")))
            {
                string path = Path.Combine(directory.FullName, "src", "WsFast.Server", "bin", configuration, "net10.0", "WsFast.Server.dll");
                Assert.True(File.Exists(path), $"{path} is not built: build the solution first (tests/run.sh does).");
                return path;
            }
        }

        throw new InvalidOperationException($"No WsFast.sln above {AppContext.BaseDirectory}.");
    }
}
