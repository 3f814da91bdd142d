namespace Lwt; internal static class Placeholder {}
