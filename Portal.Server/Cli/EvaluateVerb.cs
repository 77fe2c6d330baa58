namespace Portal.Server.Cli;

/// <summary>The <c>evaluate</c> verb: runs the offline protocol on a file and prints the JSON of shared/FORMATS.md.</summary>
public static class EvaluateVerb
{
    /// <summary>Runs the verb with the arguments after <c>evaluate</c>; returns the process exit code.</summary>
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("evaluate: not implemented yet");
        return Task.FromResult(2);
    }
}
