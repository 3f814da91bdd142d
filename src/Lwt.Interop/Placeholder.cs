namespace Lwt.Interop; internal static class Placeholder {}
