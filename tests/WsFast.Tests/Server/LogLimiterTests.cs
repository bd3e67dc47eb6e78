using WsFast.Server;

namespace WsFast.Tests.Server;

/// <summary>One log line of a kind per second; the lines held back meanwhile are counted on the next one written.</summary>
public class LogLimiterTests
{
    [Fact]
    public void The_first_line_passes_those_within_the_next_second_are_held_and_the_next_one_after_it_carries_their_count()
    {
        var limiter = new LogLimiter();
        const long Start = 5_000_000;

        Assert.True(limiter.TryWrite(Start, out int suppressed));
        Assert.Equal(0, suppressed);

        Assert.False(limiter.TryWrite(Start + 1, out suppressed));
        Assert.False(limiter.TryWrite(Start + 500, out _));
        Assert.False(limiter.TryWrite(Start + 999, out _));

        Assert.True(limiter.TryWrite(Start + 1000, out suppressed));
        Assert.Equal(3, suppressed);

        // A new window starts at the line written: the count starts again from zero.
        Assert.False(limiter.TryWrite(Start + 1500, out _));
        Assert.True(limiter.TryWrite(Start + 2600, out suppressed));
        Assert.Equal(1, suppressed);
        Assert.True(limiter.TryWrite(Start + 9000, out suppressed));
        Assert.Equal(0, suppressed);
    }

    [Fact]
    public void The_very_first_line_passes_whatever_the_clock_reads()
    {
        Assert.True(new LogLimiter().TryWrite(0, out int suppressed));
        Assert.Equal(0, suppressed);
        Assert.True(new LogLimiter().TryWrite(long.MaxValue / 4, out _));
    }

    [Fact]
    public void Lines_offered_from_many_threads_at_once_are_each_either_written_or_counted()
    {
        var limiter = new LogLimiter();
        int written = 0;
        int counted = 0;
        long now = 1_000_000;

        // Many threads within one window, then one line after it: every attempt shows up exactly once.
        Parallel.For(0, 10_000, _ =>
        {
            if (limiter.TryWrite(now, out int held))
            {
                Interlocked.Increment(ref written);
                Interlocked.Add(ref counted, held);
            }
        });
        Assert.True(limiter.TryWrite(now + 1000, out int rest));

        Assert.Equal(1, written);
        Assert.Equal(9_999, counted + rest);
    }
}
