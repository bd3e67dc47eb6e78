using System.Diagnostics;
using System.Text;

namespace WsFast.Packaging.Tests.Support;

/// <summary>A command run to its end within a time limit; past it, the command and its children are killed.</summary>
internal static class Command
{
    /// <summary>
    /// Runs <c>dotnet</c> with <paramref name="arguments"/> and asserts that it succeeds, within
    /// <paramref name="timeout"/>. The output (standard output and error together) is returned and shown on failure.
    /// </summary>
    public static async Task<string> DotnetAsync(
        TimeSpan timeout, string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        (int exitCode, string output) = await RunAsync("dotnet", arguments, workingDirectory, timeout, environment);
        Assert.True(exitCode == 0, $"dotnet {string.Join(' ', arguments)} exited with {exitCode}:\n{output}");
        return output;
    }

    /// <summary>Runs a program to its end, or kills it (and its children) after <paramref name="timeout"/>.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string program, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = new Process { StartInfo = StartInfo(program, arguments, workingDirectory, environment) };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, line) => Append(output, line.Data);
        process.ErrorDataReceived += (_, line) => Append(output, line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"{program} {string.Join(' ', arguments)} did not end within {timeout.TotalSeconds} s:\n{Text(output)}");
        }

        return (process.ExitCode, Text(output));
    }

    /// <summary>
    /// How every process of these tests starts: without the MSBuild variables that <c>dotnet test</c> sets for its
    /// own build (they would point a nested <c>dotnet build</c> at the outer one's state); without build servers
    /// (MSBuild nodes, the compiler server), which would outlive the command and could not be stopped by a PID of
    /// the test's; without telemetry or first-run messages.
    /// </summary>
    public static ProcessStartInfo StartInfo(
        string program, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment)
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

        foreach (string name in start.Environment.Keys.ToArray())
        {
            if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("_MSBuild", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(name);
            }
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return start;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
