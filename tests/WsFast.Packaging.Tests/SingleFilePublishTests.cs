using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
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
            "-p:PublishSingleFile=true", "-o", folder["out"], "--artifacts-path", folder["artifacts"]);

        // One executable; beside it only the symbols, which stack traces read when present.
        string[] published = [.. Directory.EnumerateFileSystemEntries(folder["out"]).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        Assert.Equal(["WsFast.Server", "WsFast.Server.pdb", "WsFast.pdb"], published);

        int port = RunningServer.FreePort();
        await using RunningServer server = await RunningServer.StartAsync(
            folder["out/WsFast.Server"], ["--port", port.ToString(CultureInfo.InvariantCulture)], folder.Path, port, "/echo");
        await server.AssertEchoesAsync("/echo", "hello from the single file");

        // The runtime it runs on is its own: nothing from the machine's .NET installation is mapped into it.
        string installation = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        string[] mapped = [.. File.ReadLines($"/proc/{server.Id}/maps").Where(line => line.Contains(installation, StringComparison.Ordinal))];
        Assert.True(mapped.Length == 0, $"mapped from {installation}:\n{string.Join('\n', mapped)}");

        (HttpStatusCode status, string page) = await server.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<title>WsFast demo</title>", page, StringComparison.Ordinal);

        Assert.Equal(0, await server.StopAsync());
    }
}
