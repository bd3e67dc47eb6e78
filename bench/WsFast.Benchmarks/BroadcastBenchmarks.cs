using BenchmarkDotNet.Attributes;
using WsFast.Server;

namespace WsFast.Benchmarks;

/// <summary>
/// One publish to a topic with 1, 100 and 10,000 in-memory subscribers: framing once, sequencing, and each
/// subscriber taking a reference to the shared frame. What a publish allocates must not grow with the
/// subscriber count.
/// </summary>
[MemoryDiagnoser]
public class BroadcastBenchmarks
{
    private readonly byte[] _payload = new byte[32];
    private Topic _topic = null!;

    /// <summary>Subscribers of the topic.</summary>
    [Params(1, 100, 10_000)]
    public int Subscribers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new BroadcastOptions { HistorySize = 0 };
        var topics = new TopicRegistry(options, new ServerCounters());
        _topic = topics.Acquire("bench");
        for (int i = 0; i < Subscribers; i++)
        {
            _topic.Subscribe(new InMemorySubscriber());
        }
    }

    [Benchmark]
    public long Publish() => _topic.Publish(MessageType.Text, _payload).Sequence;

    /// <summary>A subscriber whose socket sends instantly: it takes its reference and gives it back.</summary>
    private sealed class InMemorySubscriber : ITopicSubscriber
    {
        public EnqueueResult Offer(TopicMessage message)
        {
            message.Frame.AddReference();
            message.Frame.Release();
            return EnqueueResult.Queued;
        }
    }
}
