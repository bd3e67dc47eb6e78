using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using WsFast.Packaging.Tests.Support;

namespace WsFast.Packaging.Tests;

/// <summary>
/// <c>dotnet pack WsFast.sln</c> makes the library's package and its symbols, and nothing else: tests, benchmarks,
/// the load tool, the Kestrel peer and the executable are not packages. The package says what it is (id, version,
/// authors, description, license, README, tags, repository) and carries the assembly, its XML documentation and,
/// in the .snupkg, the PDB that belongs to that very assembly.
/// </summary>
[Collection(PackagingCollection.Name)]
public class LibraryPackageTests(Packages packages)
{
    [Fact]
    public async Task Packing_the_solution_makes_the_WsFast_package_and_its_symbols_and_nothing_else()
    {
        string folder = await packages.SolutionPackagesAsync();

        string[] made = [.. Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        Assert.Equal([$"WsFast.{Repository.Version}.nupkg", $"WsFast.{Repository.Version}.snupkg"], made);
    }

    [Fact]
    public async Task The_package_says_what_it_is()
    {
        using ZipArchive package = await OpenAsync("nupkg");
        XElement metadata = Nuspec(package, "WsFast.nuspec");
        XNamespace ns = metadata.Name.Namespace;

        Assert.Equal("WsFast", metadata.Element(ns + "id")?.Value);
        Assert.Matches(@"^0\.\d+\.\d+$", metadata.Element(ns + "version")?.Value);
        Assert.Equal("The WsFast authors", metadata.Element(ns + "authors")?.Value);
        Assert.Contains("WebSocket server", metadata.Element(ns + "description")?.Value, StringComparison.Ordinal);
        XElement? license = metadata.Element(ns + "license");
        Assert.Equal(("expression", "MIT"), ((string?)license?.Attribute("type"), license?.Value));
        Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
        Assert.Contains("websocket", metadata.Element(ns + "tags")?.Value.Split(' ') ?? []);
        Assert.Contains("Copyright (c) 2026 The WsFast authors", metadata.Element(ns + "copyright")?.Value, StringComparison.Ordinal);

        // The repository element names git and the commit packed; its URL is the git remote's when the clone has one
        // on a server (Source Link leaves a remote that is a local folder out), never a made-up one.
        XElement? repository = metadata.Element(ns + "repository");
        Assert.Equal("git", (string?)repository?.Attribute("type"));
        Assert.Matches("^[0-9a-f]{40}$", (string?)repository?.Attribute("commit"));
        string? url = (string?)repository?.Attribute("url");
        Assert.True(url is null || Uri.TryCreate(url, UriKind.Absolute, out Uri? remote) && remote.Scheme is "https" or "http" or "ssh",
            $"repository url {url}");

        // Beside the ASP.NET Core shared framework (logging, options, hosting), the Redis broker's client and the
        // hashing package its version needs named beside it; nothing else.
        Assert.Equal(["StackExchange.Redis", "System.IO.Hashing"],
            metadata.Descendants(ns + "dependency").Select(d => (string?)d.Attribute("id")).Order());
        Assert.Equal(["Microsoft.AspNetCore.App"], metadata.Descendants(ns + "frameworkReference").Select(f => (string?)f.Attribute("name")));
    }

    [Fact]
    public async Task The_package_holds_the_assembly_its_XML_documentation_and_the_README()
    {
        using ZipArchive package = await OpenAsync("nupkg");

        Assert.Equal(
            ["README.md", "WsFast.nuspec", "lib/net10.0/WsFast.dll", "lib/net10.0/WsFast.xml"],
            ContentFiles(package));
        Assert.Equal(await File.ReadAllTextAsync(Repository.Readme), Read(package, "README.md"));
        Assert.Contains("<member name=\"T:WsFast.WsFastServer\">", Read(package, "lib/net10.0/WsFast.xml"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_symbols_package_holds_the_PDB_of_the_packed_deterministic_assembly()
    {
        using ZipArchive package = await OpenAsync("nupkg");
        using ZipArchive symbols = await OpenAsync("snupkg");
        Assert.Equal(["WsFast.nuspec", "lib/net10.0/WsFast.pdb"], ContentFiles(symbols));

        using var assembly = new PEReader(new MemoryStream(Bytes(package, "lib/net10.0/WsFast.dll")));
        DebugDirectoryEntry[] debug = [.. assembly.ReadDebugDirectory()];

        // A deterministic compilation says so in the debug directory (the "Reproducible" entry).
        Assert.Contains(debug, entry => entry.Type == DebugDirectoryEntryType.Reproducible);

        // A portable PDB's id is the GUID and stamp the assembly's CodeView entry names.
        DebugDirectoryEntry codeView = Assert.Single(debug, entry => entry.Type == DebugDirectoryEntryType.CodeView);
        CodeViewDebugDirectoryData expected = assembly.ReadCodeViewDebugDirectoryData(codeView);
        using MetadataReaderProvider pdb = MetadataReaderProvider.FromPortablePdbStream(new MemoryStream(Bytes(symbols, "lib/net10.0/WsFast.pdb")));
        var id = new BlobContentId(pdb.GetMetadataReader().DebugMetadataHeader!.Id);
        Assert.Equal(expected.Guid, id.Guid);
        Assert.Equal(codeView.Stamp, id.Stamp);
        Assert.Equal("WsFast.pdb", Path.GetFileName(expected.Path));
    }

    private async Task<ZipArchive> OpenAsync(string extension)
    {
        string folder = await packages.SolutionPackagesAsync();
        return ZipFile.OpenRead(Path.Combine(folder, $"WsFast.{Repository.Version}.{extension}"));
    }

    internal static XElement Nuspec(ZipArchive package, string name)
    {
        XElement root = XDocument.Parse(Read(package, name)).Root!;
        return root.Element(root.Name.Namespace + "metadata")!;
    }

    // A package's entries without the Open Packaging Conventions parts every package has.
    internal static string[] ContentFiles(ZipArchive package) =>
    [
        .. package.Entries.Select(e => e.FullName)
            .Where(n => n != "[Content_Types].xml" && !n.StartsWith("_rels/", StringComparison.Ordinal)
                && !n.StartsWith("package/services/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal),
    ];

    internal static string Read(ZipArchive package, string name)
    {
        using var reader = new StreamReader(Entry(package, name).Open());
        return reader.ReadToEnd();
    }

    private static byte[] Bytes(ZipArchive package, string name)
    {
        using var copy = new MemoryStream();
        using (Stream stream = Entry(package, name).Open())
        {
            stream.CopyTo(copy);
        }

        return copy.ToArray();
    }

    private static ZipArchiveEntry Entry(ZipArchive package, string name) =>
        package.GetEntry(name) ?? throw new Xunit.Sdk.XunitException($"The package has no {name}: {string.Join(", ", package.Entries.Select(e => e.FullName))}");
}
