using SharpFuzz;
using WsFast.Fuzz.Targets;

namespace WsFast.Fuzz;

/// <summary>
/// <c>WsFast.Fuzz TARGET</c> runs one target under AFL++ (run.sh instruments WsFast.dll first);
/// <c>WsFast.Fuzz TARGET --replay DIR</c> runs every file of a corpus folder once, in process.
/// </summary>
public static class Program
{
    /// <summary>Exit codes: 0 done, 1 a corpus file broke the contract, 2 bad arguments.</summary>
    public static int Main(string[] args)
    {
        if (args.Length is not (1 or 3) || !FuzzTargets.ByName.TryGetValue(args[0], out FuzzTarget? target)
            || (args.Length == 3 && args[1] != "--replay"))
        {
            Console.Error.WriteLine($"usage: WsFast.Fuzz TARGET [--replay DIR]; targets: {string.Join(", ", FuzzTargets.ByName.Keys)}");
            return 2;
        }

        if (args.Length == 1)
        {
            // AFL hands each input over as a stream; the targets take the bytes.
            Fuzzer.OutOfProcess.Run(stream =>
            {
                using var bytes = new MemoryStream();
                stream.CopyTo(bytes);
                target(bytes.GetBuffer().AsSpan(0, (int)bytes.Length));
            });
            return 0;
        }

        return Replay(target, args[2]);
    }

    private static int Replay(FuzzTarget target, string directory)
    {
        if (!Directory.Exists(directory))
        {
            Console.Error.WriteLine($"no corpus folder {directory}");
            return 2;
        }

        string[] files = Directory.GetFiles(directory);
        Array.Sort(files, StringComparer.Ordinal);
        foreach (string file in files)
        {
            try
            {
                target(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"{file}: {e}");
                return 1;
            }
        }

        Console.WriteLine($"{files.Length} files of {directory} passed");
        return 0;
    }
}
