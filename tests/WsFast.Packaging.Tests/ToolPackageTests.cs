using System.IO.Compression;
using System.Xml.Linq;
using WsFast.Packaging.Tests.Support;

namespace WsFast.Packaging.Tests;

/// <summary>
/// The executable packed as a .NET tool (<c>dotnet pack src/WsFast.Server -p:PackAsTool=true</c>) installs with
/// <c>dotnet tool install</c> from a local folder, runs as <c>wsfast</c> and serves <c>/echo</c>.
/// </summary>
[Collection(PackagingCollection.Name)]
public class ToolPackageTests(Packages packages)
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task The_tool_package_is_a_dotnet_tool_whose_command_is_wsfast()
    {
        string folder = await packages.ToolPackagesAsync();
        string[] made = [.. Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName)!];
        Assert.Equal([$"WsFast.Server.{Repository.Version}.nupkg"], made);

        using ZipArchive package = ZipFile.OpenRead(Path.Combine(folder, made[0]));
        XElement metadata = LibraryPackageTests.Nuspec(package, "WsFast.Server.nuspec");
        XNamespace ns = metadata.Name.Namespace;
        Assert.Equal("WsFast.Server", metadata.Element(ns + "id")?.Value);
        Assert.Equal(["DotnetTool"], metadata.Descendants(ns + "packageType").Select(t => (string?)t.Attribute("name")));
        Assert.Equal("MIT", metadata.Element(ns + "license")?.Value);

        XElement settings = XDocument.Parse(LibraryPackageTests.Read(package, "tools/net10.0/any/DotnetToolSettings.xml")).Root!;
        XElement command = Assert.Single(settings.Descendants("Command"));
        Assert.Equal(("wsfast", "WsFast.Server.dll"), ((string?)command.Attribute("Name"), (string?)command.Attribute("EntryPoint")));

        // The library comes along with the executable.
        Assert.Contains("tools/net10.0/any/WsFast.dll", LibraryPackageTests.ContentFiles(package));
    }

    [Fact]
    public async Task The_installed_wsfast_command_serves_echo_and_stops_on_SIGTERM()
    {
        string packageFolder = await packages.ToolPackagesAsync();
        using var folder = new TempFolder("tool");

        // The local folder is the only source: the tool comes from it or not at all. The restore's own cache is a
        // folder of this test's, so the machine's global package folder never holds this test's package.
        await File.WriteAllTextAsync(folder["nuget.config"], $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{packageFolder}" />
              </packageSources>
            </configuration>
            """);
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = folder["packages"] };
        await Command.DotnetAsync(InstallTimeout, folder.Path, environment,
            "tool", "install", "WsFast.Server", "--version", Repository.Version,
            "--tool-path", folder["tools"], "--configfile", folder["nuget.config"]);

        int port = RunningServer.FreePort();
        await using RunningServer server = await RunningServer.StartAsync(
            folder["tools/wsfast"], ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            folder.Path, port, "/echo");
        await server.AssertEchoesAsync("/echo", "hello from the wsfast tool");
        Assert.Equal(0, await server.StopAsync());
    }
}
