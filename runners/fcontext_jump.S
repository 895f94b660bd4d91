/* cb_jump_fcontext: Boost.Context's jump_fcontext for x86-64 System V, frame for
 * frame (make_fcontext's contexts start in it), but the MXCSR and x87 control words
 * are loaded only when the context jumped to saved others than the one jumping away
 * holds: loading them stalls the pipeline (a fifth of a green hand-off, measured),
 * and the coroutines of a run almost never differ in them. */
	.text
	.globl	cb_jump_fcontext
	.hidden	cb_jump_fcontext
	.type	cb_jump_fcontext, @function
	.align	16
cb_jump_fcontext:
	leaq	-0x38(%rsp), %rsp
	stmxcsr	(%rsp)
	fnstcw	0x4(%rsp)
	movq	%r12, 0x8(%rsp)
	movq	%r13, 0x10(%rsp)
	movq	%r14, 0x18(%rsp)
	movq	%r15, 0x20(%rsp)
	movq	%rbx, 0x28(%rsp)
	movq	%rbp, 0x30(%rsp)
	movq	%rsp, %rax		/* the context left: returned in the transfer */
	movq	%rdi, %rsp		/* the context jumped to */
	movq	0x38(%rsp), %r8		/* where it resumes */
	movl	(%rsp), %ecx
	cmpl	(%rax), %ecx
	jne	1f
	movzwl	0x4(%rsp), %ecx
	cmpw	0x4(%rax), %cx
	jne	1f
2:
	movq	0x8(%rsp), %r12
	movq	0x10(%rsp), %r13
	movq	0x18(%rsp), %r14
	movq	0x20(%rsp), %r15
	movq	0x28(%rsp), %rbx
	movq	0x30(%rsp), %rbp
	leaq	0x40(%rsp), %rsp
	movq	%rsi, %rdx		/* transfer_t {fctx in rax, data in rdx} */
	movq	%rax, %rdi		/* and the first argument of a fresh context's body */
	jmp	*%r8
1:
	ldmxcsr	(%rsp)
	fldcw	0x4(%rsp)
	jmp	2b
	.size	cb_jump_fcontext, .-cb_jump_fcontext

	.section .note.GNU-stack, "", %progbits
