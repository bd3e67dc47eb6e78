using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace WsFast.Tests.Fuzz;

/// <summary>The AFL++ runs load a core for minutes: they run one at a time, after the other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AflCollection
{
    public const string Name = "AFL++ runs, alone in the process";
}

/// <summary>
/// Every fuzz target of tests/WsFast.Fuzz run under AFL++ for <see cref="Seconds"/> seconds (<c>run.sh TARGET
/// SECONDS</c>), from its committed corpus, on one instrumented copy of this build: AFL must have run the target
/// (executions counted) and saved no crash and no hang; otherwise the test fails with the folder AFL's findings
/// were kept in. Without afl-fuzz or sharpfuzz (tests/interop/install.sh installs both) it fails, never skips.
/// </summary>
/// <remarks>
/// The runs do not depend on the socket engine: tests/run.sh leaves this category out of its epoll pass.
/// </remarks>
[Collection(AflCollection.Name)]
[Trait("Category", Category)]
public class AflRunTests(InstrumentedFuzzApp app) : IClassFixture<InstrumentedFuzzApp>
{
    /// <summary>The trait tests/run.sh filters on.</summary>
    public const string Category = "Afl";

    /// <summary>
    /// Long enough for AFL to calibrate the seeds and mutate for a while (tens of thousands of executions per
    /// target on a 2-core machine), short enough that the nine targets add about two minutes to CI (1.78 min measured).
    /// </summary>
    public const int Seconds = 10;

    [Theory]
    [MemberData(nameof(CorpusReplayTests.Targets), MemberType = typeof(CorpusReplayTests))]
    public void A_short_AFL_run_of_the_target_finds_no_crash_and_no_hang(string target)
    {
        Assert.True(app.Error is null, app.Error);
        (int exit, string output) = FuzzScript.Run(
            [target, Seconds.ToString()],
            ("WSFAST_FUZZ_APP", app.Directory),
            TimeSpan.FromSeconds(Seconds + 120));

        Assert.True(exit == 0, $"run.sh {target} {Seconds} exited with {exit}:\n{output}");
        Match executions = Regex.Match(output, @"^executions: +(\d+) ", RegexOptions.Multiline);
        Match findings = Regex.Match(output, @"^crashes, hangs: +(\d+), (\d+)$", RegexOptions.Multiline);
        Assert.True(executions.Success && findings.Success, $"no figures from run.sh:\n{output}");
        Assert.True(long.Parse(executions.Groups[1].Value) > 0, $"AFL did not run {target}:\n{output}");
        Assert.True(findings.Groups[1].Value == "0" && findings.Groups[2].Value == "0", output);
    }
}

/// <summary>One instrumented copy of tests/WsFast.Fuzz's build output (<c>run.sh --instrument</c>) for all the runs.</summary>
public sealed class InstrumentedFuzzApp : IDisposable
{
    public InstrumentedFuzzApp()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("wsfast-fuzz-app.").FullName;
        // Built with this test project (a build-only reference), in the same configuration.
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        string built = Path.Combine(FuzzScript.ProjectDirectory, "bin", configuration, "net10.0");
        (int exit, string output) = FuzzScript.Run(["--instrument", Directory], ("WSFAST_FUZZ_BUILT", built), TimeSpan.FromMinutes(5));
        if (exit != 0)
        {
            Error = $"run.sh --instrument exited with {exit}:\n{output}";
        }
    }

    /// <summary>The instrumented copy.</summary>
    public string Directory { get; }

    /// <summary>Why the copy could not be made, or null.</summary>
    public string? Error { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>Runs tests/WsFast.Fuzz/run.sh.</summary>
internal static class FuzzScript
{
    public static string ProjectDirectory
    {
        get
        {
            for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "WsFast.sln")))
                {
                    return Path.Combine(directory.FullName, "tests", "WsFast.Fuzz");
                }
            }

            throw new InvalidOperationException($"No WsFast.sln above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>Runs the script with <paramref name="arguments"/>; its exit code and everything it printed.</summary>
    public static (int Exit, string Output) Run(string[] arguments, (string Name, string Value) environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(ProjectDirectory, "run.sh"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[environment.Name] = environment.Value;
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, line) => { lock (output) { output.AppendLine(line.Data); } };
        process.ErrorDataReceived += (_, line) => { lock (output) { output.AppendLine(line.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, $"run.sh {string.Join(' ', arguments)} did not end within {timeout}\n{output}");
        }

        process.WaitForExit(); // the output's end
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }
}
