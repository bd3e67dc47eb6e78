using WsFast.Load.Scenarios.Soak;

namespace WsFast.Load.Tests;

/// <summary>
/// The soak's loss and order detector: a feed numbers each topic's messages 1, 2, 3, ..., and a subscriber that
/// is sent everything must see every number once, in order.
/// </summary>
public sealed class SequenceCheckerTests
{
    [Fact]
    public void A_feed_in_order_passes()
    {
        SequenceChecker checker = Feed(41, 42, 43, 44, 45);

        Assert.Equal(5, checker.Checked);
        Assert.Equal(0, checker.Lost);
        Assert.Equal(0, checker.Reordered);
    }

    [Fact]
    public void A_dropped_message_is_counted_lost()
    {
        SequenceChecker checker = Feed(1, 2, 3, 5, 6);

        Assert.Equal(1, checker.Lost);
        Assert.Equal(0, checker.Reordered);
    }

    [Fact]
    public void Several_dropped_in_a_row_count_each()
    {
        Assert.Equal(3, Feed(7, 11, 12).Lost);
    }

    [Fact]
    public void Two_swapped_messages_are_counted_out_of_order()
    {
        SequenceChecker checker = Feed(1, 2, 4, 3, 5);

        // 4 ahead of 3 looks like a gap when it comes; 3 after 4 is what gives the swap away.
        Assert.Equal(1, checker.Reordered);
        Assert.Equal(5, checker.Checked);
    }

    [Fact]
    public void A_message_delivered_twice_is_counted_out_of_order()
    {
        Assert.Equal(1, Feed(1, 2, 2, 3).Reordered);
    }

    [Fact]
    public void A_restart_forgets_the_last_number_and_keeps_the_totals()
    {
        SequenceChecker checker = Feed(1, 2, 4);
        checker.Restart();
        checker.Check(90); // a new subscription that cannot resume starts wherever the feed is
        checker.Check(91);

        Assert.Equal(1, checker.Lost);
        Assert.Equal(5, checker.Checked);
        Assert.Equal(91, checker.Last);
    }

    [Fact]
    public void Without_a_restart_a_gap_across_a_reconnect_is_a_loss()
    {
        // A cursor or Last-Event-ID resume must bring what went past while the subscriber was away.
        SequenceChecker checker = Feed(10, 11, 12);
        checker.Check(20);

        Assert.Equal(7, checker.Lost);
    }

    private static SequenceChecker Feed(params long[] sequence)
    {
        var checker = new SequenceChecker();
        foreach (long n in sequence)
        {
            checker.Check(n);
        }

        return checker;
    }
}
