using WsFast.Load.Engine;

namespace WsFast.Load.Tests;

public class RateControllerTests
{
    // The simulated clock counts microseconds.
    private const long Frequency = 1_000_000;

    [Theory]
    [InlineData(1000, 0)]
    [InlineData(1000, 3000)] // wake-ups up to 3 ms late: three periods
    [InlineData(7, 20_000)]
    [InlineData(33_333, 500)]
    public void Schedules_the_rate_asked_for_without_drifting(double perSecond, int maxWakeUpDelay)
    {
        var random = new Random(42);
        var pace = new RateController(perSecond, start: 5_000_000, TimeSpan.FromMilliseconds(100), Frequency);
        long now = 5_000_000;
        long end = now + 10 * Frequency;
        long taken = 0;
        long lastDue = 0;
        while (true)
        {
            while (pace.TryTake(now, out long due, out long missed))
            {
                Assert.Equal(0, missed);
                Assert.True(due <= now && due >= lastDue);
                lastDue = due;
                taken++;
            }

            // Sleep until the next slot, waking up late by up to the given delay, as timers do.
            now = pace.NextDue + random.Next(maxWakeUpDelay + 1);
            if (now >= end)
            {
                break;
            }
        }

        double expected = perSecond * 10;
        Assert.InRange(taken, expected * 0.99 - 1, expected * 1.01 + 1);

        // No drift: slot k is due at start + k / rate, however late the wake-ups were.
        double dueOfNext = 5_000_000 + taken * Frequency / perSecond;
        Assert.InRange(pace.NextDue, dueOfNext - 1, dueOfNext + 1);
        Assert.Equal(0, pace.Missed);
    }

    [Fact]
    public void A_stall_longer_than_the_lag_skips_and_counts_the_slots_instead_of_bursting()
    {
        var pace = new RateController(1000, start: 0, TimeSpan.FromMilliseconds(100), Frequency);
        long now = 0;
        Assert.True(pace.TryTake(now, out _, out _));

        // One second without a wake-up: 1,000 slots are due, only the last 100 ms of them are still taken.
        now = Frequency;
        long burst = 0;
        long missedTotal = 0;
        while (pace.TryTake(now, out long due, out long missed))
        {
            Assert.True(due >= now - Frequency / 10);
            missedTotal += missed;
            burst++;
        }

        Assert.InRange(burst, 100, 101);
        Assert.Equal(pace.Missed, missedTotal);
        Assert.InRange(missedTotal, 899, 900);
        Assert.Equal(1001, pace.Taken + pace.Missed); // every slot up to now is either taken or missed
    }

    [Fact]
    public void A_short_lag_is_caught_up_in_full()
    {
        var pace = new RateController(1000, start: 0, TimeSpan.FromMilliseconds(100), Frequency);
        long now = 50_000; // 50 ms late: 51 slots due, all within the lag
        int taken = 0;
        while (pace.TryTake(now, out _, out long missed))
        {
            Assert.Equal(0, missed);
            taken++;
        }

        Assert.Equal(51, taken);
        Assert.Equal(51_000, pace.NextDue);
    }
}
