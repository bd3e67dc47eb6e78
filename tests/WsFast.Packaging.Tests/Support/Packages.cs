namespace WsFast.Packaging.Tests.Support;

/// <summary>
/// The packages, made once for all the tests that read or install them, from the solution's build output
/// (<c>--no-build</c>: what was tested is what is packed, and the source tree's build output stays untouched).
/// Each is made on first use, so that a test run filtered to one test makes only what it needs.
/// </summary>
public sealed class Packages : IDisposable
{
    internal static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(3);

    private readonly TempFolder _folder = new("packages");
    private readonly Lazy<Task<string>> _solution;
    private readonly Lazy<Task<string>> _tool;

    public Packages()
    {
        _solution = new(() => PackSolutionAsync(_folder["solution"]));
        _tool = new(() => PackToolAsync(_folder["tool"], _folder["tool-publish"]));
    }

    /// <summary>The folder that <c>dotnet pack WsFast.sln</c> wrote its packages to.</summary>
    internal Task<string> SolutionPackagesAsync() => _solution.Value;

    /// <summary>The folder holding the executable packed as a .NET tool.</summary>
    internal Task<string> ToolPackagesAsync() => _tool.Value;

    public void Dispose() => _folder.Dispose();

    private static async Task<string> PackSolutionAsync(string output)
    {
        await Command.DotnetAsync(PackTimeout, Repository.Root, null,
            "pack", Repository.Solution, "-c", Repository.Configuration, "--no-build", "-o", output);
        return output;
    }

    private static async Task<string> PackToolAsync(string output, string publish)
    {
        // A tool package holds the executable's publish output: PublishDir keeps that out of the source tree.
        await Command.DotnetAsync(PackTimeout, Repository.Root, null,
            "pack", Repository.ServerProject, "-c", Repository.Configuration, "--no-build", "-p:PackAsTool=true",
            $"-p:PublishDir={publish}/", "-o", output);
        return output;
    }
}

/// <summary>The tests that pack, publish or build: one at a time, sharing <see cref="Packages"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PackagingCollection : ICollectionFixture<Packages>
{
    public const string Name = "Packaging";
}
