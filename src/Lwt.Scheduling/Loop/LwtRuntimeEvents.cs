using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Lwt;

/*
 * Lwt_runtime_events (Lwt 6.0) in .NET terms: what Lwt writes to OCaml 5.1's Runtime_events
 * ring, here a Meter (System.Diagnostics.Metrics: dotnet-counters, OpenTelemetry, any
 * MeterListener) and an ActivitySource (traces). Lwt's bind-location Trace spans (lwt_ppx)
 * have no counterpart.
 *
 *   Lwt                          here
 *   paused_count   (counter)     lwt.paused_count    ObservableUpDownCounter<int>, per loop
 *   unix_job_count (counter)     lwt.unix_job_count  ObservableUpDownCounter<int>, per loop
 *   sch_lap        (event)       lwt.loop.laps       ObservableCounter<long>, per loop
 *   sch_call       (span)        lwt.main.run        an Activity around LwtMain.Run
 *
 * Pulled, not pushed. Lwt writes an event at every lap; an event per iteration would cost
 * more than the iteration of a pause loop (~40 ns), which the benchmarks measure. So the
 * loop only keeps numbers in fields, and the observable instruments read them when a
 * listener collects: an iteration pays one increment of a field of its own (EventLoop's
 * _laps, on a cache line that posts from other threads do not read) and nothing else,
 * listened to or not. The paused count is the list the loop keeps anyway; the job count is
 * mirrored by LwtUnix's job registry into the loop (EventLoop.PendingJobs), because that
 * registry lives in thread-static fields and a collection runs on the collecting thread.
 * The collecting thread reads these fields racily: a value may be stale, never torn (an
 * int, a long read with Volatile.Read), which a sampled metric tolerates.
 *
 * One series per loop. Lwt has one loop per process; here every thread may run its own,
 * so each measurement is of one running loop, tagged lwt.loop.thread (the managed id of
 * its thread). A running loop's thread is alive, so two running loops never share a tag;
 * a loop between runs is not measured (as Lwt emits only inside Lwt_main.run), and its
 * laps count on from where they were at its next run. A summed view is the exporter's
 * aggregation away from the tag. The counts are UpDownCounters rather than gauges because
 * they add up across loops (OpenTelemetry's rule for counts of things in a queue).
 *
 * The run span is the only push: one StartActivity per LwtMain.Run, which answers null
 * after reading one field when nothing listens to the source. It is not made
 * Activity.Current: a hosted loop runs once for the host's lifetime, and every span
 * started by the code it runs would otherwise belong to that one endless trace.
 *
 * Opt-in, as in Lwt (which emits only when a program links lwt_runtime_events and the
 * OCaml runtime's events are started). Making the Meter and the ActivitySource costs about
 * 10-20 ms once, most of it the BCL starting the EventSources through which dotnet-counters
 * and dotnet-trace find them: too much to add to the start of every program that runs a
 * loop, for instruments most never read. So they exist only once Enable() is called, or
 * from the first LwtMain.Run when the process was started with the environment variable
 * LWT_RUNTIME_EVENTS=1 or the runtimeconfig switch "Lwt.RuntimeEvents" (no code change
 * needed to watch a program with dotnet-counters). Until then a run costs one read of a
 * static field, and the loop keeps its counts anyway (they are what Enable publishes), so
 * enabling later shows the true totals. Once made, they live for the process, as
 * instruments usually do.
 */

/// <summary>
/// The metrics and traces of the event loops, for dotnet-counters, OpenTelemetry or any
/// <see cref="MeterListener"/>/<see cref="ActivityListener"/>: the meter <see cref="MeterName"/>
/// with the instruments <see cref="PausedCountInstrument"/>, <see cref="UnixJobCountInstrument"/>
/// and <see cref="LapsInstrument"/>, one measurement per running loop tagged with
/// <see cref="LoopThreadTag"/>, and the activity source <see cref="ActivitySourceName"/>,
/// whose <see cref="RunActivityName"/> activity spans each <see cref="LwtMain.Run(Promise)"/>.
/// The loop pays one field increment per iteration for all of it; the instruments are read
/// only when a listener collects, and the activity is made only when a listener samples it.
/// <para>Lwt: <c>Lwt_runtime_events</c> (Lwt 6.0, OCaml 5.1's <c>Runtime_events</c>); its bind-location <c>Trace</c> spans have no counterpart</para>
/// </summary>
public static class LwtRuntimeEvents
{
    /// <summary>The name of the <see cref="Meter"/> of the instruments below: <c>dotnet-counters monitor --counters Lwt</c>, or OpenTelemetry's <c>AddMeter("Lwt")</c>.<para>Lwt: none (Lwt's events go to the <c>Runtime_events</c> ring of the process)</para></summary>
    public const string MeterName = "Lwt";

    /// <summary>The name of the <see cref="ActivitySource"/> of <see cref="RunActivityName"/>: OpenTelemetry's <c>AddSource("Lwt")</c>.<para>Lwt: none (Lwt's events go to the <c>Runtime_events</c> ring of the process)</para></summary>
    public const string ActivitySourceName = "Lwt";

    /// <summary>
    /// An <see cref="ObservableUpDownCounter{T}"/> of int, unit <c>{promise}</c>: the promises made by
    /// <see cref="Promise.Pause"/> on a running loop's thread and not woken yet (its
    /// <see cref="Promise.PausedCount"/>), one measurement per running loop.
    /// <para>Lwt: <c>Lwt_runtime_events.paused_count</c> (<c>lwt-paused-count</c>)</para>
    /// </summary>
    public const string PausedCountInstrument = "lwt.paused_count";

    /// <summary>
    /// An <see cref="ObservableUpDownCounter{T}"/> of int, unit <c>{job}</c>: the jobs of
    /// <see cref="LwtUnix"/> (its blocking calls run on worker threads: Stat, OpenFile, reads of
    /// blocking descriptors...) started on a running loop whose result has not reached it yet
    /// (those <see cref="LwtUnix.WaitForJobs"/> would wait for), one measurement per running loop.
    /// <para>Lwt: <c>Lwt_runtime_events.unix_job_count</c> (<c>lwt-unix-job-count</c>)</para>
    /// </summary>
    public const string UnixJobCountInstrument = "lwt.unix_job_count";

    /// <summary>
    /// An <see cref="ObservableCounter{T}"/> of long, unit <c>{lap}</c>: the iterations a running
    /// loop has made (each one: ready work, paused promises, timers, I/O), over all the runs of
    /// that loop, one measurement per running loop. Its rate is the loop's iterations per second.
    /// <para>Lwt: <c>Lwt_runtime_events.sch_lap</c> (<c>lwt-sch-lap</c>, an event per lap; here a count)</para>
    /// </summary>
    public const string LapsInstrument = "lwt.loop.laps";

    /// <summary>
    /// The name of the activity that spans one <see cref="LwtMain.Run(Promise)"/> (from after its
    /// start checks to after the loop has stopped), made only when a listener samples it. It
    /// carries <see cref="LoopThreadTag"/>; a run that throws has the status
    /// <see cref="ActivityStatusCode.Error"/> and the tag <c>error.type</c> (the exception's type).
    /// It is not made <see cref="Activity.Current"/>: the activities the loop's code starts are not its children.
    /// <para>Lwt: <c>Lwt_runtime_events.sch_call</c> (<c>lwt-sch-call</c>, a span around <c>Lwt_main.run</c>)</para>
    /// </summary>
    public const string RunActivityName = "lwt.main.run";

    /// <summary>
    /// The tag of every measurement and of the run activity: the managed thread id
    /// (<see cref="EventLoop.ThreadId"/>, an int) of the loop's thread. Each thread runs its own loop.
    /// <para>Lwt: none (Lwt has one loop per process)</para>
    /// </summary>
    public const string LoopThreadTag = "lwt.loop.thread";

    /// <summary>
    /// The environment variable that enables the instruments at the first
    /// <see cref="LwtMain.Run(Promise)"/> when set to <c>1</c> or <c>true</c>, as
    /// <see cref="Enable"/> would.
    /// <para>Lwt: none (Lwt's events start with the OCaml runtime's, e.g. <c>OCAML_RUNTIME_EVENTS_START</c>)</para>
    /// </summary>
    public const string EnvironmentVariable = "LWT_RUNTIME_EVENTS";

    /// <summary>
    /// The runtimeconfig switch (<see cref="AppContext"/>) that enables the instruments at the first
    /// <see cref="LwtMain.Run(Promise)"/>, as <see cref="Enable"/> would: in a project file,
    /// <c>&lt;RuntimeHostConfigurationOption Include="Lwt.RuntimeEvents" Value="true" /&gt;</c>.
    /// <para>Lwt: none</para>
    /// </summary>
    public const string AppContextSwitch = "Lwt.RuntimeEvents";

    private static readonly object s_gate = new();
    private static ActivitySource? s_source;
    private static Meter? s_meter;

    /// <summary>Whether the environment or the runtimeconfig asks for the instruments (read once).</summary>
    private static readonly bool s_requestedAtStart =
        (AppContext.TryGetSwitch(AppContextSwitch, out bool on) && on) ||
        Environment.GetEnvironmentVariable(EnvironmentVariable) is "1" or "true" or "TRUE" or "True";

    /// <summary>
    /// Whether the meter and the activity source exist (after <see cref="Enable"/>, or a run with the switch or the variable set).
    /// <para>Lwt: none (whether the OCaml runtime's events are started: <c>Runtime_events.start</c>)</para>
    /// </summary>
    public static bool IsEnabled => Volatile.Read(ref s_source) is not null;

    /// <summary>
    /// Makes the meter <see cref="MeterName"/> and the activity source
    /// <see cref="ActivitySourceName"/>, so that listeners can observe the loops from now on;
    /// calling it again does nothing. Safe from any thread. Costs some milliseconds once (the
    /// BCL's diagnostics infrastructure starting), which is why it is not done unasked.
    /// <para>Lwt: linking <c>lwt_runtime_events</c> (its events are emitted once the runtime's are started)</para>
    /// </summary>
    public static void Enable()
    {
        if (IsEnabled) return;
        lock (s_gate)
        {
            if (s_source is not null) return;
            string? version = typeof(LwtRuntimeEvents).Assembly.GetName().Version?.ToString();
            s_meter = CreateMeter(version);
            Volatile.Write(ref s_source, new ActivitySource(ActivitySourceName, version));
        }
    }

    private static Meter CreateMeter(string? version)
    {
        var meter = new Meter(MeterName, version);
        meter.CreateObservableUpDownCounter(PausedCountInstrument, static () => Observe(static loop => loop.PausedCountFromAnyThread),
            "{promise}", "Promises paused by Promise.Pause and not woken yet, per running event loop (Lwt: paused_count).");
        meter.CreateObservableUpDownCounter(UnixJobCountInstrument, static () => Observe(static loop => loop.PendingJobs),
            "{job}", "LwtUnix jobs (blocking calls on worker threads) whose result has not reached their event loop yet, per running loop (Lwt: unix_job_count).");
        meter.CreateObservableCounter(LapsInstrument, static () => Observe(static loop => loop.Laps),
            "{lap}", "Iterations of the event loop, per running loop (Lwt: sch_lap).");
        return meter;
    }

    /// <summary>One measurement per running loop, on the collecting thread (file comment).</summary>
    private static List<Measurement<T>> Observe<T>(Func<EventLoop, T> read)
        where T : struct
    {
        var measurements = new List<Measurement<T>>();
        foreach (var dispatcher in LoopRegistry.All())
        {
            if (dispatcher is EventLoop { IsRunning: true } loop)
                measurements.Add(new Measurement<T>(read(loop), new KeyValuePair<string, object?>(LoopThreadTag, loop.ThreadId)));
        }
        return measurements;
    }

    /// <summary>LwtMain.Run's entry: the run activity, or null when no listener samples it (the usual case, one field read).</summary>
    internal static Activity? StartRun(EventLoop loop)
    {
        var source = Volatile.Read(ref s_source);
        if (source is null)
        {
            if (!s_requestedAtStart) return null;
            Enable();
            source = s_source!;
        }
        if (!source.HasListeners()) return null;
        var ambient = Activity.Current;
        var activity = source.StartActivity(RunActivityName, ActivityKind.Internal);
        if (activity is null) return null;
        Activity.Current = ambient; // not the parent of what the loop runs (file comment)
        if (activity.IsAllDataRequested) activity.SetTag(LoopThreadTag, loop.ThreadId);
        return activity;
    }

    /// <summary>
    /// Marks the run as failed with an exception escaping LwtMain.Run; called from an exception
    /// filter, so it answers false and the exception goes on untouched.
    /// </summary>
    internal static bool RunEscaped(Activity activity, Exception exception)
    {
        Fail(activity, exception);
        return false;
    }

    /// <summary>LwtMain.Run's exit, after the loop has stopped: the status, then the end of the span.</summary>
    internal static void StopRun(Activity activity, Promise? promise)
    {
        if (activity.Status != ActivityStatusCode.Error && promise?.Underlying() is { _status: Status.Rejected } rejected)
            Fail(activity, rejected.Rejection);
        // Stop makes the span's parent current, whatever is current now: the ambient activity
        // of StartRun, which the loop's code may have stopped or replaced meanwhile. Without a
        // listener there is no span and Activity.Current stays as that code left it; so it is
        // put back to what it is just before the Stop.
        var current = Activity.Current;
        activity.Stop();
        Activity.Current = current;
    }

    private static void Fail(Activity activity, Exception exception)
    {
        activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        if (activity.IsAllDataRequested) activity.SetTag("error.type", exception.GetType().FullName);
    }
}
