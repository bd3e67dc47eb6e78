namespace WsFast.Packaging.Tests.Support;

/// <summary>
/// A new folder under the system's temporary folder, deleted on dispose. Outside the repository, so that nothing
/// built there picks up the repository's Directory.Build.props or Directory.Packages.props.
/// </summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder(string purpose)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"wsfast-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A path inside it.</summary>
    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process that outlived its test still holds a file; the system's cleanup of /tmp takes the rest.
        }
    }
}
