export default function PublicLayout({ children }: { children: React.ReactNode }) {
  return <main className="flex min-h-screen items-center justify-center bg-muted/50 p-6">{children}</main>;
}
