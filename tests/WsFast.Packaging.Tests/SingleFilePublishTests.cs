using System.Globalization;
using System.Net;
using WsFast.Packaging.Tests.Support;

namespace WsFast.Packaging.Tests;

/// <summary>
/// The README's publish command makes one self-contained file for linux-x64 that runs without the .NET install:
/// it serves <c>/echo</c> and the demo page embedded in it.
/// </summary>
[Collection(PackagingCollection.Name)]
public class SingleFilePublishTests
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task The_self_contained_single_file_serves_echo_and_the_demo_page()
    {
        using var folder = new TempFolder("publish");

        // The README's command, with the intermediate and build output in this test's folder (--artifacts-path), so
        // that the source tree's build output, which other tests run, is not touched.
        await Command.DotnetAsync(PublishTimeout, Repository.Root, null,
            "publish", Repository.ServerProject, "-c", "Release", "-r", "linux-x64", "--self-contained",
            "-p:PublishSingleFile=true", "-o", folder["out"], "--artifacts-path", folder["artifacts"],
            "--disable-build-servers");

        // One executable; beside it only the symbols, which stack traces read when present.
        string[] published = [.. Directory.EnumerateFileSystemEntries(folder["out"]).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        Assert.Equal(["WsFast.Server", "WsFast.Server.pdb", "WsFast.pdb"], published);

        // Nothing of the machine's .NET: DOTNET_ROOT points nowhere, and the file still runs.
        int port = RunningServer.FreePort();
        var environment = new Dictionary<string, string> { ["DOTNET_ROOT"] = folder["no-dotnet-here"] };
        await using RunningServer server = await RunningServer.StartAsync(
            folder["out/WsFast.Server"], ["--port", port.ToString(CultureInfo.InvariantCulture)], folder.Path, port, "/echo",
            environment);
        await server.AssertEchoesAsync("/echo", "hello from the single file");

        (HttpStatusCode status, string page) = await server.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<title>WsFast demo</title>", page, StringComparison.Ordinal);

        Assert.Equal(0, await server.StopAsync());
    }
}
