using System.Text;
using System.Text.RegularExpressions;
using WsFast.Packaging.Tests.Support;

namespace WsFast.Packaging.Tests;

/// <summary>
/// Every <c>```csharp</c> block of README.md compiles as shown, on its own: each is the Program.cs of a new project
/// as <c>dotnet new console</c> makes one (implicit usings, nullable) with the ASP.NET Core shared framework and a
/// reference to the library, and nothing else: no using, type or package that the reader cannot see.
/// </summary>
[Collection(PackagingCollection.Name)]
public partial class ReadmeSnippetTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Every_csharp_block_of_the_README_compiles_on_its_own()
    {
        IReadOnlyList<Snippet> snippets = Snippet.Read(await File.ReadAllLinesAsync(Repository.Readme));
        Assert.NotEmpty(snippets);

        using var folder = new TempFolder("readme");
        StopDirectoryImports(folder.Path);
        var solution = new StringBuilder("<Solution>\n");
        foreach (Snippet snippet in snippets)
        {
            string project = folder[snippet.Name];
            Directory.CreateDirectory(project);
            await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), snippet.Code);
            await File.WriteAllTextAsync(Path.Combine(project, "EntryPoint.cs"), EntryPoint);
            await File.WriteAllTextAsync(Path.Combine(project, $"{snippet.Name}.csproj"), ProjectFile(Repository.LibraryAssembly));
            solution.Append($"  <Project Path=\"{snippet.Name}/{snippet.Name}.csproj\" />\n");
        }

        await File.WriteAllTextAsync(folder["readme.slnx"], solution.Append("</Solution>\n").ToString());

        // One build of all the blocks, in parallel; a failure names each error by its line in README.md.
        (int exitCode, string output) = await Command.RunAsync(
            "dotnet", ["build", folder["readme.slnx"], "-v", "quiet", "-nologo"],
            folder.Path, BuildTimeout);
        if (exitCode != 0)
        {
            var errors = new SortedSet<string>(StringComparer.Ordinal);
            foreach (Match error in CompilerError().Matches(output))
            {
                Snippet snippet = snippets.Single(s => s.Name == error.Groups["project"].Value);
                int line = snippet.FirstLine + int.Parse(error.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture) - 1;
                errors.Add($"README.md:{line}: {error.Groups["message"].Value}");
            }

            Assert.Fail($"The README's C# does not compile as shown:\n{string.Join('\n', errors)}\n\n{output}");
        }
    }

    [Fact]
    public void The_blocks_are_found_with_the_line_each_starts_on()
    {
        string[] readme =
        [
            "# Title",
            "```csharp",
            "Console.WriteLine(1);",
            "```",
            "```bash",
            "echo",
            "```",
            "```csharp",
            "class A;",
            "class B;",
            "```",
        ];

        IReadOnlyList<Snippet> snippets = Snippet.Read(readme);

        Assert.Equal([("Line3", 3, "Console.WriteLine(1);\n"), ("Line9", 9, "class A;\nclass B;\n")],
            snippets.Select(s => (s.Name, s.FirstLine, s.Code)));
    }

    // A block may be statements (top-level, the program's entry point) or only declarations. This entry point lets
    // the latter build as a program too; beside top-level statements it is ignored (warning CS7022).
    private const string EntryPoint = """
        namespace ReadmeCheck;

        internal static class EntryPoint
        {
            private static void Main()
            {
            }
        }
        """;

    // What `dotnet new console` writes, with the shared framework the library needs, and the library as built.
    private static string ProjectFile(string library) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
          </PropertyGroup>
          <ItemGroup>
            <FrameworkReference Include="Microsoft.AspNetCore.App" />
            <Reference Include="WsFast" HintPath="{library}" />
          </ItemGroup>
        </Project>
        """;

    // Nothing above the test's folder (the temporary folder's parents) adds to the projects built in it.
    internal static void StopDirectoryImports(string folder)
    {
        foreach (string name in (string[])["Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props"])
        {
            File.WriteAllText(Path.Combine(folder, name), "<Project />\n");
        }
    }

    // MSBuild's form of a compiler error: "/tmp/…/Line444/Program.cs(12,5): error CS0246: … [/tmp/…/Line444.csproj]".
    [GeneratedRegex(@"/(?<project>Line\d+)/Program\.cs\((?<line>\d+),\d+\): error (?<message>[^\[\r\n]*)")]
    private static partial Regex CompilerError();

    /// <summary>A <c>```csharp</c> block of the README, named by the line its code starts on.</summary>
    internal sealed record Snippet(string Name, int FirstLine, string Code)
    {
        public static IReadOnlyList<Snippet> Read(IReadOnlyList<string> lines)
        {
            var snippets = new List<Snippet>();
            for (int i = 0; i < lines.Count; i++)
            {
                if (lines[i].Trim() != "```csharp")
                {
                    continue;
                }

                int first = i + 1;
                var code = new StringBuilder();
                for (i = first; i < lines.Count && lines[i].Trim() != "```"; i++)
                {
                    code.Append(lines[i]).Append('\n');
                }

                Assert.True(i < lines.Count, $"The ```csharp block starting on line {first} of the README has no end.");
                snippets.Add(new Snippet($"Line{first + 1}", first + 1, code.ToString()));
            }

            return snippets;
        }
    }
}
