using System.Diagnostics;

namespace WsFast.Tests.Scaleout;

/// <summary>What a subscriber was told: a message or a gap.</summary>
internal abstract record Delivery;

/// <summary>A topic's message as a client got it: its epoch and sequence number (0 and 0 for a client without cursors) and its text.</summary>
internal sealed record Message(long Epoch, long Sequence, string Data) : Delivery;

/// <summary>
/// A gap the server reported: messages <paramref name="First"/>..<paramref name="Last"/> of <paramref name="Epoch"/>
/// will not come; with <paramref name="Reset"/>, the client's epoch is gone and numbering starts again in this one.
/// </summary>
internal sealed record Gap(long Epoch, long First, long Last, bool Reset) : Delivery;

/// <summary>
/// A client of one topic on one node (WebSocket, event stream or long poll), receiving in the background from its
/// start until it is disposed and keeping everything it was told, in order, for the test to check.
/// </summary>
internal abstract class Subscriber : IAsyncDisposable
{
    private readonly List<Delivery> _deliveries = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _receiving = Task.CompletedTask;
    private Exception? _failure;
    private int _disposed;

    protected Subscriber(string name) => Name = name;

    /// <summary>The kind of client and its node, for failure messages.</summary>
    public string Name { get; }

    /// <summary>Everything it was told so far, in order.</summary>
    public List<Delivery> Deliveries
    {
        get
        {
            lock (_deliveries)
            {
                return [.. _deliveries];
            }
        }
    }

    /// <summary>The messages it got so far, in order.</summary>
    public List<Message> Messages => Deliveries.OfType<Message>().ToList();

    /// <summary>The gaps it was told of so far, in order.</summary>
    public List<Gap> Gaps => Deliveries.OfType<Gap>().ToList();

    /// <summary>The texts of the messages it got so far, in order.</summary>
    public List<string> Texts => Messages.Select(m => m.Data).ToList();

    /// <summary>Whether its connection is still up (the loop neither ended nor failed).</summary>
    public bool IsReceiving => !_receiving.IsCompleted;

    /// <summary>Waits until it holds <paramref name="count"/> messages; fails the test, with what it got, after <paramref name="timeout"/>.</summary>
    public Task WaitForMessagesAsync(int count, TimeSpan? timeout = null) =>
        WaitForAsync(d => d.OfType<Message>().Count() >= count, $"{count} messages", timeout);

    /// <summary>Waits until <paramref name="condition"/> holds of what it was told; fails the test, with what it got, after <paramref name="timeout"/>.</summary>
    public async Task WaitForAsync(Func<List<Delivery>, bool> condition, string what, TimeSpan? timeout = null)
    {
        var waiting = Stopwatch.StartNew();
        TimeSpan limit = timeout ?? TimeSpan.FromSeconds(10);
        while (!condition(Deliveries))
        {
            if (waiting.Elapsed > limit || (_receiving.IsCompleted && !condition(Deliveries)))
            {
                Assert.Fail($"{Name}: no {what} after {waiting.Elapsed.TotalSeconds:0.0} s ({(_receiving.IsCompleted ? $"it stopped: {_failure?.Message ?? "the connection ended"}" : "still receiving")}); it got: {Describe(Deliveries)}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>The deliveries in short: <c>E:N=text</c> for messages, <c>gap E:F-L(reset)</c> for gaps.</summary>
    public static string Describe(IEnumerable<Delivery> deliveries) =>
        string.Join(", ", deliveries.Select(d => d switch
        {
            Message m => $"{m.Epoch}:{m.Sequence}={m.Data}",
            Gap g => $"gap {g.Epoch}:{g.First}-{g.Last}{(g.Reset ? " reset" : "")}",
            _ => "?",
        }));

    /// <summary>Ends the connection and waits for the receiving loop; once, however often called.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        Close();
        await Task.WhenAny(_receiving, Task.Delay(TimeSpan.FromSeconds(5)));
        _stop.Dispose();
    }

    /// <summary>Runs <paramref name="receive"/> in the background until the subscriber is disposed or its connection ends.</summary>
    protected void Start(Func<CancellationToken, Task> receive)
    {
        CancellationToken stop = _stop.Token;
        _receiving = Task.Run(async () =>
        {
            try
            {
                await receive(stop);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                _failure = e;
            }
            catch (Exception)
            {
                // Stopped by DisposeAsync.
            }
        });
    }

    protected void Add(Delivery delivery)
    {
        lock (_deliveries)
        {
            _deliveries.Add(delivery);
        }
    }

    /// <summary>Ends the connection (called once, by <see cref="DisposeAsync"/>).</summary>
    protected abstract void Close();
}
