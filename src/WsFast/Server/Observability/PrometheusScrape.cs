using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace WsFast.Server;

/// <summary>
/// <c>GET /metrics</c>: the server's instruments (<see cref="WsFastMetrics"/>) in the Prometheus text exposition
/// format (version 0.0.4), read through a <see cref="MeterListener"/>, so that <c>/metrics</c> and any other reader
/// of the <c>WsFast</c> meter report the same figures under the same definitions.
/// </summary>
/// <remarks>
/// <para>Names follow OpenTelemetry's Prometheus conversion: dots become underscores; a unit of bytes or seconds
/// adds <c>_bytes</c> or <c>_seconds</c> unless the name has it already; a counter ends in <c>_total</c>; an
/// up-down counter is a gauge; a histogram is written as <c>_bucket{le=...}</c> (cumulative, ending at
/// <c>+Inf</c>), <c>_sum</c> and <c>_count</c> with the buckets its instrument advises.</para>
/// <para>The listener starts at the first scrape: until something scrapes, the histograms cost nothing per message.
/// Totals are the server's since it started; histograms count from the first scrape, which Prometheus takes as a
/// series starting (as after a restart).</para>
/// </remarks>
internal sealed class PrometheusScrape(WsFastMetrics metrics) : IDisposable
{
    private readonly Lock _lock = new();
    private MeterListener? _listener; // guarded by _lock
    private Dictionary<Instrument, InstrumentState>? _states;
    private bool _disposed;

    /// <summary>Renders every instrument of this server now, as UTF-8.</summary>
    public byte[] Render()
    {
        var text = new StringBuilder(8192);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            MeterListener listener = _listener ?? StartListening();
            foreach (InstrumentState state in _states!.Values)
            {
                state.BeginCollect();
            }

            listener.RecordObservableInstruments();
            foreach (Instrument instrument in metrics.Instruments)
            {
                _states[instrument].Write(text);
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _listener?.Dispose();
        }
    }

    private MeterListener StartListening()
    {
        var states = new Dictionary<Instrument, InstrumentState>();
        foreach (Instrument instrument in metrics.Instruments)
        {
            states[instrument] = InstrumentState.For(instrument);
        }

        _states = states;
        var listener = new MeterListener
        {
            // Only this server's instruments: a host's meter factory may give several servers the same meter.
            InstrumentPublished = (instrument, l) =>
            {
                if (states.TryGetValue(instrument, out InstrumentState? state))
                {
                    l.EnableMeasurementEvents(instrument, state);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        listener.Start();
        _listener = listener;
        return listener;
    }

    /// <summary>The Prometheus name of <paramref name="instrument"/>, without the suffixes of a histogram's samples.</summary>
    internal static string NameOf(Instrument instrument)
    {
        var name = new StringBuilder(instrument.Name.Length + 16);
        foreach (char c in instrument.Name)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        }

        string? unit = instrument.Unit switch
        {
            "By" => "bytes",
            "s" => "seconds",
            _ => null, // annotations such as {connection} are not units
        };
        if (unit is not null && !name.ToString().Contains(unit, StringComparison.Ordinal))
        {
            name.Append('_').Append(unit);
        }

        if (IsCounter(instrument))
        {
            name.Append("_total");
        }

        return name.ToString();
    }

    private static bool IsCounter(Instrument instrument) =>
        instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() is var type
        && (type == typeof(Counter<>) || type == typeof(ObservableCounter<>));

    private static void Header(StringBuilder text, string name, string type, string? help)
    {
        if (help is not null)
        {
            text.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
        }

        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    /// <summary><c>key="value",...</c> of <paramref name="tags"/>, values escaped as the format requires.</summary>
    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return "";
        }

        var labels = new StringBuilder();
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (labels.Length > 0)
            {
                labels.Append(',');
            }

            foreach (char c in tag.Key)
            {
                labels.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
            }

            labels.Append("=\"");
            foreach (char c in Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "")
            {
                _ = c switch
                {
                    '\\' => labels.Append("\\\\"),
                    '"' => labels.Append("\\\""),
                    '\n' => labels.Append("\\n"),
                    _ => labels.Append(c),
                };
            }

            labels.Append('"');
        }

        return labels.ToString();
    }

    private static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : value.ToString(CultureInfo.InvariantCulture);

    /// <summary>What the listener has of one instrument.</summary>
    private abstract class InstrumentState(Instrument instrument)
    {
        protected string Name { get; } = NameOf(instrument);

        protected string? Help { get; } = instrument.Description;

        public static InstrumentState For(Instrument instrument) => instrument switch
        {
            Histogram<long> longs => new HistogramState(instrument, [.. (longs.Advice?.HistogramBucketBoundaries ?? []).Select(static b => (double)b)]),
            Histogram<double> doubles => new HistogramState(instrument, [.. doubles.Advice?.HistogramBucketBoundaries ?? []]),
            _ => new ObservedState(instrument, IsCounter(instrument) ? "counter" : "gauge"),
        };

        public virtual void BeginCollect()
        {
        }

        public abstract void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

        public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

        public abstract void Write(StringBuilder text);
    }

    /// <summary>An observable counter or gauge: what its callback reported at this scrape.</summary>
    private sealed class ObservedState(Instrument instrument, string type) : InstrumentState(instrument)
    {
        private readonly List<(string Labels, string Value)> _samples = [];

        public override void BeginCollect() => _samples.Clear();

        public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            _samples.Add((Labels(tags), value.ToString(CultureInfo.InvariantCulture)));

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            _samples.Add((Labels(tags), Number(value)));

        public override void Write(StringBuilder text)
        {
            Header(text, Name, type, Help);
            foreach ((string labels, string value) in _samples)
            {
                text.Append(Name);
                if (labels.Length > 0)
                {
                    text.Append('{').Append(labels).Append('}');
                }

                text.Append(' ').Append(value).Append('\n');
            }
        }
    }

    /// <summary>
    /// A histogram, aggregated as measurements arrive, from any thread: one series per set of tags (the endpoint),
    /// found without allocating; a bucket count and the sum are updated with interlocked operations.
    /// </summary>
    private sealed class HistogramState(Instrument instrument, double[] bounds) : InstrumentState(instrument)
    {
        private readonly Lock _adding = new();
        private volatile Series[] _series = [];

        public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => Record((double)value, tags);

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            Series series = Find(tags) ?? Add(tags);
            int bucket = 0;
            while (bucket < bounds.Length && value > bounds[bucket])
            {
                bucket++;
            }

            Interlocked.Increment(ref series.Counts[bucket]);
            double sum = Volatile.Read(ref series.Sum);
            while (true)
            {
                double seen = Interlocked.CompareExchange(ref series.Sum, sum + value, sum);
                if (seen.Equals(sum))
                {
                    break;
                }

                sum = seen;
            }
        }

        public override void Write(StringBuilder text)
        {
            Header(text, Name, "histogram", Help);
            foreach (Series series in _series)
            {
                string separator = series.Labels.Length > 0 ? "," : "";
                long cumulative = 0;
                for (int i = 0; i <= bounds.Length; i++)
                {
                    cumulative += Volatile.Read(ref series.Counts[i]);
                    string le = i < bounds.Length ? Number(bounds[i]) : "+Inf";
                    text.Append(Name).Append("_bucket{").Append(series.Labels).Append(separator).Append("le=\"").Append(le).Append("\"} ")
                        .Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
                }

                string braces = series.Labels.Length > 0 ? "{" + series.Labels + "}" : "";
                text.Append(Name).Append("_sum").Append(braces).Append(' ').Append(Number(Volatile.Read(ref series.Sum))).Append('\n');

                // The count is the +Inf bucket's, read once above, so that the two always agree.
                text.Append(Name).Append("_count").Append(braces).Append(' ').Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        private Series? Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (Series series in _series)
            {
                if (series.Matches(tags))
                {
                    return series;
                }
            }

            return null;
        }

        // Once per endpoint: the series are copied on write, so that recording reads them without a lock.
        private Series Add(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (_adding)
            {
                if (Find(tags) is { } existing)
                {
                    return existing;
                }

                var series = new Series(tags.ToArray(), Labels(tags), bounds.Length + 1);
                _series = [.. _series, series];
                return series;
            }
        }
    }

    private sealed class Series(KeyValuePair<string, object?>[] tags, string labels, int buckets)
    {
        public readonly long[] Counts = new long[buckets];
        public double Sum;

        public string Labels { get; } = labels;

        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> other)
        {
            if (other.Length != tags.Length)
            {
                return false;
            }

            for (int i = 0; i < other.Length; i++)
            {
                if (!string.Equals(other[i].Key, tags[i].Key, StringComparison.Ordinal) || !Equals(other[i].Value, tags[i].Value))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
