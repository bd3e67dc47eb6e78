namespace WsFast.Server;

/// <summary>
/// The topics a WebSocket connection joined from server code (<see cref="WebSocketConnection.Subscribe(string)"/>),
/// at most <see cref="BroadcastOptions.MaxTopicsPerConnection"/>, each held (so that it is not retired under the
/// connection) and subscribed until left or the connection ends. Made at the first join.
/// </summary>
/// <remarks>
/// Lock order: this set's lock is never held while a topic's lock is taken. A publish, under its topic's lock, may
/// find the connection too slow and close it, which takes this lock (<see cref="StopReceiving"/>); so joining
/// subscribes outside it, and a join that finds the connection gone or the topic left meanwhile undoes itself.
/// </remarks>
internal sealed class ConnectionTopics
{
    private readonly List<Membership> _memberships = [];
    private bool _closed;

    /// <summary>
    /// Joins <paramref name="name"/> (a valid name), from <paramref name="resumeFrom"/> in its history when given.
    /// False when already joined or the connection is closing.
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection is at <paramref name="max"/> topics.</exception>
    public bool Join(ITopicSubscriber subscriber, TopicRegistry registry, string name, TopicCursor? resumeFrom, int max)
    {
        var membership = new Membership(name);
        lock (_memberships)
        {
            if (_closed || IndexOf(name) >= 0)
            {
                return false;
            }

            if (_memberships.Count >= max)
            {
                throw new InvalidOperationException(
                    $"This connection has joined {max} topics, the most BroadcastOptions.MaxTopicsPerConnection allows: leave one first.");
            }

            _memberships.Add(membership);
        }

        Topic topic = registry.Acquire(name);
        int slot = topic.Subscribe(subscriber, resumeFrom);
        lock (_memberships)
        {
            if (!_closed && _memberships.Contains(membership))
            {
                membership.Topic = topic;
                membership.Slot = slot;
                return true;
            }
        }

        // Left, or the connection closed, while subscribing.
        topic.Unsubscribe(slot);
        TopicRegistry.Release(topic);
        return false;
    }

    /// <summary>Leaves <paramref name="name"/>; false when it was not joined here.</summary>
    public bool Leave(string name)
    {
        Membership membership;
        lock (_memberships)
        {
            int index = IndexOf(name);
            if (index < 0)
            {
                return false;
            }

            membership = _memberships[index];
            _memberships.RemoveAt(index);
        }

        membership.Leave();
        return true;
    }

    /// <summary>Whether <paramref name="name"/> is joined here.</summary>
    public bool Contains(string name)
    {
        lock (_memberships)
        {
            return IndexOf(name) >= 0;
        }
    }

    /// <summary>
    /// The connection closed as a slow consumer: it stops receiving now, and joins nothing more. Called under a
    /// publishing topic's lock, so it only leaves the topics' subscriber sets; the holds go at <see cref="LeaveAll"/>.
    /// </summary>
    public void StopReceiving()
    {
        lock (_memberships)
        {
            _closed = true;
            foreach (Membership membership in _memberships)
            {
                membership.Unsubscribe();
            }
        }
    }

    /// <summary>The connection ended: leaves every topic and lets go of them.</summary>
    public void LeaveAll()
    {
        Membership[] all;
        lock (_memberships)
        {
            _closed = true;
            all = [.. _memberships];
            _memberships.Clear();
        }

        foreach (Membership membership in all)
        {
            membership.Leave();
        }
    }

    private int IndexOf(string name)
    {
        for (int i = 0; i < _memberships.Count; i++)
        {
            if (_memberships[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>One joined topic: null while the join is still subscribing (that join then undoes itself).</summary>
    private sealed class Membership(string name)
    {
        public string Name { get; } = name;

        public Topic? Topic { get; set; }

        public int Slot { get; set; } = -1;

        public void Unsubscribe()
        {
            if (Topic is not null && Slot >= 0)
            {
                Topic.Unsubscribe(Slot);
                Slot = -1;
            }
        }

        public void Leave()
        {
            Unsubscribe();
            if (Topic is not null)
            {
                TopicRegistry.Release(Topic);
            }
        }
    }
}
