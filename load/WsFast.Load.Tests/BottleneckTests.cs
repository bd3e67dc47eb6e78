using WsFast.Load.Engine;
using WsFast.Load.Reports;

namespace WsFast.Load.Tests;

public class BottleneckTests
{
    private static readonly IReadOnlySet<int> Cpu0 = new HashSet<int> { 0 };
    private static readonly IReadOnlySet<int> Cpu1 = new HashSet<int> { 1 };
    private static readonly IReadOnlySet<int> Cpus01 = new HashSet<int> { 0, 1 };
    private static readonly IReadOnlySet<int> Cpus1To3 = new HashSet<int> { 1, 2, 3 };

    [Theory]
    [InlineData(98.0, 70.0, "tool")] // the scripts' pinning: tool on CPU 1, server on CPU 0
    [InlineData(60.0, 99.0, "server")]
    [InlineData(95.0, 96.0, "both")]
    [InlineData(89.0, 89.0, "neither")]
    [InlineData(90.0, 10.0, "tool")] // 90% is saturated
    public void One_cpu_each_is_judged_by_90_percent_of_one_core(double load, double server, string expected) =>
        Assert.Equal(expected, Bottleneck.Judge(load, Cpu1, server, Cpu0));

    [Fact]
    public void A_tool_allowed_several_cpus_is_judged_against_all_of_them()
    {
        Assert.Equal("neither", Bottleneck.Judge(150, Cpus1To3, 50, Cpu0)); // 50% of 3 CPUs
        Assert.Equal("tool", Bottleneck.Judge(280, Cpus1To3, 50, Cpu0));
        Assert.Equal("server", Bottleneck.Judge(150, Cpus1To3, 95, Cpu0));
    }

    [Fact]
    public void Processes_that_share_cpus_and_fill_them_together_are_judged_shared()
    {
        // The tool unpinned on 2 CPUs, the server on CPU 0: 110% + 80% of 2 CPUs is the machine, full.
        Assert.Equal("shared", Bottleneck.Judge(110, Cpus01, 80, Cpu0));
        Assert.Equal("neither", Bottleneck.Judge(60, Cpus01, 50, Cpu0));
        // Apart, the same figures are no verdict of a full machine.
        Assert.Equal("neither", Bottleneck.Judge(80, Cpu1, 80, Cpu0));
    }

    [Fact]
    public void An_unknown_side_leaves_only_a_saturated_other_side_to_report()
    {
        Assert.Equal("tool", Bottleneck.Judge(97, Cpu1, null, null));
        Assert.Equal("server", Bottleneck.Judge(null, null, 97, Cpu0));
        Assert.Null(Bottleneck.Judge(50, Cpu1, null, Cpu0));
        Assert.Null(Bottleneck.Judge(50, null, 50, Cpu0));
    }

    [Fact]
    public void The_figures_are_described_per_cpu()
    {
        Assert.Equal("load tool 97% of 1 CPU (1), server 43% of 2 CPUs (0-1)", Bottleneck.Describe(97, Cpu1, 86, Cpus01));
        Assert.Equal("load tool n/a, server 50% of one core, CPUs unknown", Bottleneck.Describe(null, Cpu1, 50, null));
    }

    [Theory]
    [InlineData("0-1", new[] { 0, 1 }, "0-1")]
    [InlineData("1", new[] { 1 }, "1")]
    [InlineData(" 0,2-4,7\n", new[] { 0, 2, 3, 4, 7 }, "0,2-4,7")]
    public void Cpu_lists_are_parsed_and_printed(string list, int[] cpus, string printed)
    {
        IReadOnlySet<int>? parsed = CpuAffinity.Parse(list);
        Assert.NotNull(parsed);
        Assert.Equal(cpus, parsed.Order());
        Assert.Equal(printed, Bottleneck.List(parsed));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a-b")]
    [InlineData("3-1")]
    public void A_malformed_cpu_list_is_unknown(string list) => Assert.Null(CpuAffinity.Parse(list));

    [Fact]
    public void The_tools_own_affinity_matches_the_runtime()
    {
        // .NET derives ProcessorCount from the same affinity (under taskset -c 1 both say 1).
        IReadOnlySet<int> self = CpuAffinity.OfSelf();
        Assert.Equal(Environment.ProcessorCount, self.Count);
        Assert.Equal(self.Order(), CpuAffinity.Of(Environment.ProcessId)!.Order());
    }
}
