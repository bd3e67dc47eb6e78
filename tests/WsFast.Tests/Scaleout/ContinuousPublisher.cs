using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;

namespace WsFast.Tests.Scaleout;

/// <summary>
/// Publishes <c>m1</c>, <c>m2</c>, ... to one topic from the given nodes in turn, one at a time with a short pause,
/// until stopped, keeping which publishes were numbered (and how) and which were refused: a backend that goes on
/// publishing whatever happens to Redis or to a node.
/// </summary>
internal sealed class ContinuousPublisher(TestServer[] nodes, string topic)
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(15);

    private readonly List<(string, PublishResult)> _successes = [];
    private readonly List<string> _attempted = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _publishing = Task.CompletedTask;
    private int _failures;

    /// <summary>The publishes numbered so far, in the order they were made.</summary>
    public List<(string Text, PublishResult Result)> Successes
    {
        get
        {
            lock (_successes)
            {
                return [.. _successes];
            }
        }
    }

    /// <summary>Every text a publish was tried with, in order.</summary>
    public List<string> Attempted
    {
        get
        {
            lock (_successes)
            {
                return [.. _attempted];
            }
        }
    }

    public void Start() => _publishing = Task.Run(PublishAsync);

    public Task WaitForSuccessesAsync(int count, TimeSpan timeout) =>
        BroadcastKit.WaitUntilAsync(() => Successes.Count >= count || _publishing.IsCompleted, $"{count} publishes to succeed", timeout);

    public Task WaitForFailuresAsync(int count) =>
        BroadcastKit.WaitUntilAsync(() => Volatile.Read(ref _failures) >= count || _publishing.IsCompleted, $"{count} publishes to be refused");

    /// <summary>Stops publishing; rethrows what the loop failed with, if it did.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _publishing;
    }

    private async Task PublishAsync()
    {
        for (int i = 1; !_stop.IsCancellationRequested; i++)
        {
            string text = $"m{i}";
            lock (_successes)
            {
                _attempted.Add(text);
            }

            try
            {
                PublishResult result = await nodes[i % nodes.Length].Server.Topics.PublishAsync(topic, text);
                lock (_successes)
                {
                    _successes.Add((text, result));
                }
            }
            catch (BrokerUnavailableException)
            {
                Interlocked.Increment(ref _failures);
            }

            await Task.Delay(Pause);
        }
    }
}
