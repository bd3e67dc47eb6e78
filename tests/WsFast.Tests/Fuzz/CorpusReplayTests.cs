using WsFast.Fuzz.Targets;

namespace WsFast.Tests.Fuzz;

/// <summary>
/// Every file of a fuzz target's corpus (tests/WsFast.Fuzz/Corpus: the seeds, and each crash AFL++ ever found
/// as a regression) replayed once through the target's contract checks: a defined error or a valid result,
/// nothing held past the limits, the same result at every split.
/// </summary>
public class CorpusReplayTests
{
    /// <summary>Every target of <see cref="FuzzTargets.ByName"/>, by name.</summary>
    public static TheoryData<string> Targets => [.. FuzzTargets.ByName.Keys];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_corpus_file_keeps_the_targets_contract(string target)
    {
        FuzzTarget run = FuzzTargets.ByName[target];
        string[] files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", target));
        Assert.True(files.Length >= 10, $"the {target} corpus has {files.Length} files");
        foreach (string file in files)
        {
            try
            {
                run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                Assert.Fail($"{target} corpus file {Path.GetFileName(file)}: {e}");
            }
        }
    }

    [Fact]
    public void Every_corpus_folder_is_a_target_and_every_target_has_one()
    {
        string[] folders = Directory.GetDirectories(Path.Combine(AppContext.BaseDirectory, "FuzzCorpus"));
        Assert.Equal(FuzzTargets.ByName.Keys.Order(), folders.Select(Path.GetFileName).Order());
        Assert.Equal(9, FuzzTargets.ByName.Count);
    }

    [Fact]
    public void Inputs_are_split_into_pieces_derived_from_their_first_bytes()
    {
        byte[] input = new byte[300];
        var shapes = new HashSet<string>();
        for (int first = 0; first < 256; first++)
        {
            input[0] = (byte)first;
            int[] sizes = Splits.Sizes(input);
            Assert.Equal(sizes, Splits.Sizes(input));
            Assert.All(sizes, size => Assert.InRange(size, 1, 64));
            shapes.Add(sizes.Length == 1 ? "byte by byte" : "pieces");
        }

        // Both shapes of feeding are reached, so a split-dependent result cannot hide behind one of them.
        Assert.Equal(2, shapes.Count);
    }
}
