namespace WsFast.Tests.Scaleout;

/// <summary>The guarantees of a shared topic, checked on what one subscriber was told.</summary>
internal static class DeliveryCheck
{
    /// <summary>
    /// Per-topic order, at most once, and no silent loss: within an epoch each message is the one after the
    /// previous message or reported gap, an epoch changes only with a gap that says so (<c>reset</c>), and no
    /// message comes twice. <paramref name="after"/> is where the subscriber started (its cursor; epoch 0: the
    /// epoch of whatever it is told first).
    /// </summary>
    public static void AssertInOrderOnceEach(Subscriber subscriber, long afterEpoch = 0, long afterSequence = 0)
    {
        List<Delivery> deliveries = subscriber.Deliveries;
        string told = $"{subscriber.Name} got: {Subscriber.Describe(deliveries)}";
        var seen = new HashSet<(long, long)>();
        long epoch = afterEpoch;
        long last = afterSequence;
        foreach (Delivery delivery in deliveries)
        {
            switch (delivery)
            {
                case Message message:
                    Assert.True(seen.Add((message.Epoch, message.Sequence)), $"{message.Epoch}:{message.Sequence} twice. {told}");
                    if (epoch == 0)
                    {
                        epoch = message.Epoch;
                    }

                    Assert.True(message.Epoch == epoch, $"{message.Epoch}:{message.Sequence} of a new epoch without a gap saying so. {told}");
                    Assert.True(message.Sequence == last + 1, $"{message.Epoch}:{message.Sequence} after {epoch}:{last}, without a gap between. {told}");
                    last = message.Sequence;
                    break;
                case Gap gap when gap.Reset:
                    Assert.True(gap.Epoch != epoch, $"A reset to the epoch it had already. {told}");
                    epoch = gap.Epoch;
                    last = gap.Last;
                    break;
                case Gap gap:
                    Assert.True(gap.Epoch == epoch && gap.First == last + 1 && gap.Last >= gap.First, $"A gap {gap.First}-{gap.Last} of {gap.Epoch} after {epoch}:{last}. {told}");
                    last = gap.Last;
                    break;
            }
        }
    }

    /// <summary>The subscriber got exactly <c>m1</c>..<c>m{count}</c>, numbered 1..count in <paramref name="epoch"/>, and no gap.</summary>
    public static void AssertExactly(Subscriber subscriber, long epoch, int count)
    {
        List<Delivery> deliveries = subscriber.Deliveries;
        List<Delivery> expected = Enumerable.Range(1, count).Select(i => (Delivery)new Message(epoch, i, $"m{i}")).ToList();
        Assert.True(expected.SequenceEqual(deliveries), $"{subscriber.Name}: expected {epoch}:1..{count} once each, got: {Subscriber.Describe(deliveries)}");
    }
}
