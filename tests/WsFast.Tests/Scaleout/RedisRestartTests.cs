using System.Net;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Scaleout;

/// <summary>
/// Redis killed and restarted empty (no persistence) while two nodes publish in turn: publishes during the outage
/// are refused (503 with <c>Retry-After</c>, <see cref="BrokerUnavailableException"/>), subscribers stay connected,
/// the nodes reconnect by themselves, and the next messages come under a new epoch after a gap that says so. No
/// duplicate, no silent loss: every message whose publish succeeded is delivered, or is covered by that gap.
/// </summary>
public sealed class RedisRestartTests
{
    [Fact]
    public async Task Redis_killed_and_restarted_mid_stream_refuses_publishes_meanwhile_and_the_stream_goes_on_under_a_new_epoch_after_a_reset_gap()
    {
        using RedisServer redis = RedisServer.Start();
        TestServer[] nodes = await Nodes.StartManyAsync(2, redis.Configuration, SharedRedis.NewPrefix());
        var sequenced = new List<Subscriber>();
        var plain = new List<SocketClient>();
        var publisher = new ContinuousPublisher(nodes, "news");
        try
        {
            foreach (TestServer node in nodes)
            {
                sequenced.Add(await SocketClient.EnvelopedAsync(node, "news"));
                sequenced.Add(await EventStreamClient.OpenAsync(node, "news"));
                plain.Add(await SocketClient.PlainAsync(node, "news"));
                await Nodes.WaitFollowingAsync(node, "news", subscribers: 3);
            }

            sequenced.Add(PollClient.Start(nodes[1], "news"));
            publisher.Start();
            await publisher.WaitForSuccessesAsync(10, TimeSpan.FromSeconds(10));

            redis.Kill();
            await publisher.WaitForFailuresAsync(3);
            using (HttpClient http = BroadcastKit.HttpClient(nodes[1]))
            using (HttpResponseMessage refused = await BroadcastKit.PostTextAsync(http, "news", "refused"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
            }

            redis.Restart();
            int before = publisher.Successes.Count;
            await publisher.WaitForSuccessesAsync(before + 10, Nodes.Reconnect);
            await publisher.StopAsync();

            List<(string Text, PublishResult Result)> succeeded = publisher.Successes;
            long oldEpoch = succeeded[0].Result.Epoch;
            long newEpoch = succeeded[^1].Result.Epoch;
            Assert.NotEqual(oldEpoch, newEpoch);
            Assert.All(succeeded, s => Assert.Contains(s.Result.Epoch, (long[])[oldEpoch, newEpoch]));
            List<(string Text, PublishResult Result)> afterRestart = succeeded.Where(s => s.Result.Epoch == newEpoch).ToList();
            Assert.Equal(Enumerable.Range(1, afterRestart.Count).Select(i => (long)i), afterRestart.Select(s => s.Result.Sequence));

            foreach (Subscriber subscriber in sequenced)
            {
                await subscriber.WaitForAsync(d => d.Contains(new Message(newEpoch, afterRestart.Count, afterRestart[^1].Text)), "the last message published", Nodes.Reconnect);
                Assert.True(subscriber.IsReceiving, $"{subscriber.Name} was disconnected");
                DeliveryCheck.AssertInOrderOnceEach(subscriber);
                List<Delivery> deliveries = subscriber.Deliveries;
                Gap reset = Assert.Single(subscriber.Gaps);
                Assert.Equal((newEpoch, true), (reset.Epoch, reset.Reset));

                // Before the gap the old epoch's messages as numbered, after it the new epoch's, all of them; of the
                // old epoch only what followed the last message delivered before the gap may be missing (a publish
                // that Redis ran as it was killed may have been refused to the publisher: it may be there too).
                int gapAt = deliveries.IndexOf(reset);
                List<Message> old = deliveries.Take(gapAt).Cast<Message>().ToList();
                List<Message> renewed = deliveries.Skip(gapAt + 1).Cast<Message>().ToList();
                Assert.All(old, m => Assert.Equal(oldEpoch, m.Epoch));
                Assert.Equal(
                    succeeded.Where(s => s.Result.Epoch == oldEpoch && s.Result.Sequence <= old[^1].Sequence).Select(s => new Message(oldEpoch, s.Result.Sequence, s.Text)),
                    old.Where(m => succeeded.Any(s => s.Text == m.Data)));
                Assert.Equal(afterRestart.Select(s => new Message(newEpoch, s.Result.Sequence, s.Text)), renewed);
            }

            // Without cursors: what was published, in order, once each, everything since the restart included.
            foreach (SocketClient subscriber in plain)
            {
                await subscriber.WaitForAsync(d => d.Contains(new Message(0, 0, afterRestart[^1].Text)), "the last message published", Nodes.Reconnect);
                Assert.True(subscriber.IsOpen, $"{subscriber.Name} was disconnected");
                List<string> texts = subscriber.Texts;
                Assert.Equal(texts.Distinct(), texts);
                Assert.Equal(publisher.Attempted.Where(texts.Contains), texts);
                Assert.Equal(afterRestart.Select(s => s.Text), texts.TakeLast(afterRestart.Count));
            }
        }
        finally
        {
            await publisher.StopAsync();
            foreach (Subscriber subscriber in sequenced.Concat(plain))
            {
                await subscriber.DisposeAsync();
            }

            await Nodes.DisposeAllAsync(nodes);
        }
    }
}
