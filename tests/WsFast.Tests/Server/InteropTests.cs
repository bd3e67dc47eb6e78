using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;

namespace WsFast.Tests.Server;

/// <summary>
/// Real third-party clients against the echo endpoint: Node.js <c>ws</c> and Python <c>websockets</c> each
/// round-trip a UTF-8 text and a 70000-byte binary message and close with 1000. Their scripts and installer
/// are in tests/interop. A missing client fails the test: a skipped interop test would hide a broken server.
/// </summary>
public class InteropTests
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(20);

    internal const string InstallHint = "run `bash tests/interop/install.sh` (tests/run.sh, the README's test command, does it)";

    [Fact]
    public async Task Node_ws_client_round_trips_text_and_binary_and_closes_with_1000()
    {
        string interop = InteropDirectory();
        Assert.True(File.Exists(Path.Combine(interop, "node_modules", "ws", "package.json")),
            $"The Node.js package ws is not installed in {interop}: {InstallHint}.");

        await using TestServer server = await TestServer.StartAsync();
        await AssertClientSucceedsAsync("node", [Path.Combine(interop, "ws_client.mjs"), server.Ws("/echo").ToString()], interop);
        Assert.Equal(0, await WaitForNoConnectionsAsync(server));
    }

    [Fact]
    public async Task Python_websockets_client_round_trips_text_and_binary_and_closes_with_1000()
    {
        string interop = InteropDirectory();
        (int exitCode, string _, string stderr) = await RunAsync("/usr/bin/python3", ["-c", "import websockets"], interop);
        Assert.True(exitCode == 0, $"/usr/bin/python3 cannot import websockets ({stderr.Trim()}): {InstallHint}.");

        await using TestServer server = await TestServer.StartAsync();
        await AssertClientSucceedsAsync("/usr/bin/python3", [Path.Combine(interop, "websockets_client.py"), server.Ws("/echo").ToString()], interop);
        Assert.Equal(0, await WaitForNoConnectionsAsync(server));
    }

    internal static async Task AssertClientSucceedsAsync(string program, string[] arguments, string workingDirectory, params (string Name, string Value)[] environment)
    {
        (int exitCode, string stdout, string stderr) = await RunAsync(program, arguments, workingDirectory, environment);
        string output = $"exit code {exitCode}; stdout: {stdout.Trim()}; stderr: {stderr.Trim()}";
        Assert.True(exitCode == 0, $"{Path.GetFileName(arguments[0])} failed: {output}");

        // The scripts print one JSON line: {"ok":true,"text":true,"binary":true,"closeCode":1000}.
        string? line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        Assert.True(line is not null, $"no JSON line: {output}");
        using JsonDocument json = JsonDocument.Parse(line);
        JsonElement root = json.RootElement;
        Assert.True(root.GetProperty("ok").GetBoolean(), output);
        Assert.True(root.GetProperty("text").GetBoolean(), output);
        Assert.True(root.GetProperty("binary").GetBoolean(), output);
        Assert.Equal(1000, root.GetProperty("closeCode").GetInt32());
    }

    // Runs a program to completion, or kills it (and its children) after ClientTimeout.
    internal static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, string[] arguments, string workingDirectory, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"{program} could not be started ({e.Message}): install it, then {InstallHint}.");
        }

        try
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(ClientTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"{program} {string.Join(' ', arguments)} did not finish within {ClientTimeout.TotalSeconds} s");
            }

            return (process.ExitCode, await stdout.WaitAsync(ClientTimeout), await stderr.WaitAsync(ClientTimeout));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    // The client's close handshake completes on the server too: nothing is left connected.
    internal static async Task<int> WaitForNoConnectionsAsync(TestServer server)
    {
        var clock = Stopwatch.StartNew();
        while (server.Server.ConnectionCount > 0 && clock.Elapsed < RawClient.Timeout)
        {
            await Task.Delay(10);
        }

        return server.Server.ConnectionCount;
    }

    // tests/interop, found from the test binaries by walking up to the folder holding WsFast.sln.
    internal static string InteropDirectory()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "WsFast.sln")))
            {
                return Path.Combine(directory.FullName, "tests", "interop");
            }
        }

        throw new InvalidOperationException($"No WsFast.sln above {AppContext.BaseDirectory}.");
    }
}
