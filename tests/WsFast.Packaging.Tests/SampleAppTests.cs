using System.Globalization;
using System.Text;
using System.Text.Json;
using WsFast.Packaging.Tests.Support;

namespace WsFast.Packaging.Tests;

/// <summary>
/// A team's first use of the package: a new console project references <c>WsFast</c> from a local package folder,
/// configures the server from <c>appsettings.json</c> through <c>AddWsFast(configuration)</c>, maps a handler of
/// its own, builds, runs and echoes.
/// </summary>
[Collection(PackagingCollection.Name)]
public class SampleAppTests(Packages packages)
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    private const string Program = """
        using Microsoft.Extensions.Hosting;
        using Microsoft.Extensions.Logging;
        using WsFast;

        var builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddWsFast(builder.Configuration.GetSection("WsFast"))
            .Map<Echo>("/echo");
        await builder.Build().RunAsync();

        // Made for each connection, with its dependencies from the host's services.
        sealed class Echo(ILogger<Echo> log) : WebSocketHandler
        {
            public override async ValueTask OnMessageAsync(WebSocketConnection client, WebSocketMessage message)
            {
                log.LogInformation("Echoing {Bytes} bytes to client {Client}", message.Payload.Length, client.Id);
                await client.SendAsync(message);
            }
        }
        """;

    // What `dotnet new console` writes, the package, and appsettings.json beside the program. No framework
    // reference: the package brings ASP.NET Core's shared framework with it.
    private static string ProjectFile(string version) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="WsFast" Version="{version}" />
          </ItemGroup>
          <ItemGroup>
            <None Update="appsettings.json" CopyToOutputDirectory="PreserveNewest" />
          </ItemGroup>
        </Project>
        """;

    [Fact]
    public async Task A_new_app_restores_WsFast_from_a_local_folder_configures_it_from_appsettings_and_echoes()
    {
        string packageFolder = await packages.SolutionPackagesAsync();
        using var folder = new TempFolder("sample");
        ReadmeSnippetTests.StopDirectoryImports(folder.Path);
        string app = folder["Sample"];
        Directory.CreateDirectory(app);
        int port = RunningServer.FreePort();

        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), Program);
        await File.WriteAllTextAsync(Path.Combine(app, "Sample.csproj"), ProjectFile(Repository.Version));
        await File.WriteAllTextAsync(Path.Combine(app, "appsettings.json"), $$"""
            {
              "WsFast": { "Urls": ["http://127.0.0.1:{{port}}"] }
            }
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), await NuGetConfigAsync(packageFolder, folder.Path));

        // The restore's package folder is the test's own, so that the machine's global one never holds the
        // package under test (and a stale copy there could not stand in for it).
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = folder["packages"] };
        await Command.DotnetAsync(BuildTimeout, app, environment,
            "build", "-c", "Release", "-nologo", "-v", "quiet");

        // The package came from the local folder.
        string metadata = Path.Combine(folder["packages"], "wsfast", Repository.Version, ".nupkg.metadata");
        using (JsonDocument restored = JsonDocument.Parse(await File.ReadAllTextAsync(metadata)))
        {
            Assert.Equal(Path.TrimEndingDirectorySeparator(packageFolder),
                Path.TrimEndingDirectorySeparator(restored.RootElement.GetProperty("source").GetString()!));
        }

        // Run from its output folder, the host's content root, where appsettings.json was copied.
        string output = Path.Combine(app, "bin", "Release", "net10.0");
        await using RunningServer server = await RunningServer.StartAsync(
            Path.Combine(output, "Sample"), [], output, port, "/echo");
        await server.AssertEchoesAsync("/echo", "hello from a new app");
        Assert.Equal(0, await server.StopAsync());
        Assert.Contains("Echoing 20 bytes to client", server.Output, StringComparison.Ordinal);
    }

    // The local folder serves WsFast and nothing else; the machine's own sources (`dotnet nuget list source`)
    // serve anything else, and never WsFast (package source mapping).
    private static async Task<string> NuGetConfigAsync(string packageFolder, string workingDirectory)
    {
        string sources = await Command.DotnetAsync(TimeSpan.FromMinutes(1), workingDirectory, null,
            "nuget", "list", "source", "--format", "short");
        var config = new StringBuilder("""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />

            """);
        config.Append(CultureInfo.InvariantCulture, $"    <add key=\"local\" value=\"{packageFolder}\" />\n");
        var machine = new List<string>();
        foreach (string line in sources.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // "E https://…" for an enabled source; "D …" for a disabled one.
            if (line.StartsWith("E ", StringComparison.Ordinal))
            {
                string key = $"machine{machine.Count}";
                machine.Add(key);
                config.Append(CultureInfo.InvariantCulture, $"    <add key=\"{key}\" value=\"{line[2..].Trim()}\" />\n");
            }
        }

        config.Append("""
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="WsFast" /></packageSource>

            """);
        foreach (string key in machine)
        {
            config.Append(CultureInfo.InvariantCulture, $"    <packageSource key=\"{key}\"><package pattern=\"*\" /></packageSource>\n");
        }

        return config.Append("  </packageSourceMapping>\n</configuration>\n").ToString();
    }
}
