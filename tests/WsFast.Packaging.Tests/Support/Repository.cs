namespace WsFast.Packaging.Tests.Support;

/// <summary>Where the repository and its build output are, as seen from this test's own build output.</summary>
internal static class Repository
{
    /// <summary>The folder holding WsFast.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration this test was built with (Release in CI): the one whose output is packed.</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    public static string Solution => Path.Combine(Root, "WsFast.sln");

    public static string Readme => Path.Combine(Root, "README.md");

    public static string ServerProject => Path.Combine(Root, "src", "WsFast.Server", "WsFast.Server.csproj");

    /// <summary>The library as built for this configuration.</summary>
    public static string LibraryAssembly
    {
        get
        {
            string path = Path.Combine(Root, "src", "WsFast", "bin", Configuration, "net10.0", "WsFast.dll");
            Assert.True(File.Exists(path), $"{path} is not built: build the solution first (tests/run.sh does).");
            return path;
        }
    }

    /// <summary>The package version, from Directory.Build.props (VersionPrefix).</summary>
    public static string Version
    {
        get
        {
            var props = System.Xml.Linq.XDocument.Load(Path.Combine(Root, "Directory.Build.props"));
            string? version = props.Descendants("VersionPrefix").SingleOrDefault()?.Value;
            Assert.False(string.IsNullOrEmpty(version), "Directory.Build.props sets no VersionPrefix.");
            return version;
        }
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "WsFast.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No WsFast.sln above {AppContext.BaseDirectory}.");
    }
}
