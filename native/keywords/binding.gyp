{
  "targets": [
    {
      "target_name": "warden_keywords",
      "sources": ["keywords.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "libraries": ["-lhs"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
