using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace WsFast.Load.Engine;

/// <summary>
/// A live progress panel on stderr, redrawn in place with Spectre.Console. Only for a terminal: a redirected
/// stderr gets plain lines instead (see <see cref="ProgressPrinter"/>).
/// </summary>
internal sealed class LiveProgressDisplay
{
    // Width of the elapsed/remaining bar, in characters.
    private const int BarWidth = 30;

    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<LiveDisplayContext> _context = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _running;

    private LiveProgressDisplay(IAnsiConsole console)
    {
        _running = console.Live(Render(null))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async context =>
            {
                _context.TrySetResult(context);
                await _finished.Task;
            });
    }

    /// <summary>
    /// True when stderr is a terminal that understands ANSI sequences: not redirected, not TERM=dumb.
    /// </summary>
    public static bool IsSupported() =>
        !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "" or "dumb");

    /// <summary>Starts the panel on stderr.</summary>
    public static LiveProgressDisplay Start()
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Ansi = AnsiSupport.Yes,
            Interactive = InteractionSupport.Yes,
        });
        return new LiveProgressDisplay(console);
    }

    /// <summary>Redraws the panel with <paramref name="sample"/>.</summary>
    public void Show(ProgressSample sample)
    {
        if (_context.Task.IsCompletedSuccessfully)
        {
            _context.Task.Result.UpdateTarget(Render(sample));
        }
    }

    /// <summary>Draws <paramref name="sample"/> a last time and leaves it on the terminal.</summary>
    public void Finish(ProgressSample sample)
    {
        Show(sample);
        _finished.TrySetResult();

        // The report follows on stdout: let the panel's last frame be written first.
        _running.Wait(TimeSpan.FromSeconds(2));
    }

    /// <summary>The panel for <paramref name="sample"/> (an empty one before the first sample).</summary>
    internal static IRenderable Render(ProgressSample? sample)
    {
        var table = new Table()
            .Border(TableBorder.Rounded)
            .HideHeaders()
            .AddColumn(new TableColumn(string.Empty))
            .AddColumn(new TableColumn(string.Empty));
        table.Title = new TableTitle("wsfast-load");
        if (sample is not ProgressSample s)
        {
            table.AddRow(new Markup("phase"), new Markup("[grey]starting[/]"));
            return table;
        }

        string remaining = s.Remaining is TimeSpan left ? $"{left.TotalSeconds:0} s" : "?";
        table.AddRow(new Markup("phase"), new Markup($"[bold]{Markup.Escape(s.Phase)}[/]"));
        table.AddRow(new Markup("elapsed / remaining"), new Markup($"{Bar(s)} {s.ElapsedSeconds:0.0} s / {remaining}"));
        table.AddRow(new Markup("clients ready"), new Markup(Invariant($"{s.Ready:N0} / {s.Clients:N0}")));
        table.AddRow(new Markup("rate"), new Markup(Invariant($"[bold]{s.RatePerSecond:N0}[/] msg/s")));
        table.AddRow(new Markup("p99 (last interval)"), new Markup(s.P99Microseconds is double us ? Invariant($"{us:N0} µs") : "[grey]n/a (outside the window)[/]"));
        table.AddRow(new Markup("errors"), new Markup(s.Errors > 0 ? Invariant($"[red bold]{s.Errors:N0}[/]") : "0"));
        table.AddRow(new Markup("received"), new Markup(Invariant($"{s.Received:N0}")));
        return table;
    }

    // The share of the planned run that has passed, as a bar; empty when the plan is unknown.
    private static string Bar(ProgressSample s)
    {
        if (s.Remaining is not TimeSpan left)
        {
            return string.Empty;
        }

        double total = s.ElapsedSeconds + left.TotalSeconds;
        int done = total > 0 ? (int)Math.Round(BarWidth * s.ElapsedSeconds / total) : BarWidth;
        return $"[green]{new string('━', done)}[/][grey]{new string('━', BarWidth - done)}[/]";
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
